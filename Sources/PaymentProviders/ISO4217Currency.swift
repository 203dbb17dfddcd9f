/// An ISO 4217 currency this module knows the minor-unit exponent of.
///
/// The table is deliberately small and explicit: an amount in a currency
/// outside it is refused rather than guessed. Exponents are ISO 4217's,
/// which is also how Stripe expresses amounts for these currencies (JPY,
/// KRW, VND and CLP are zero-decimal; KWD, BHD, JOD, OMR and TND
/// three-decimal). ISK and UGX, whose Stripe representation differs from
/// ISO 4217, are left out on purpose.
public struct ISO4217Currency: Sendable, Hashable, CustomStringConvertible {
    /// The upper-case alphabetic code, e.g. `CNY`.
    public let code: String
    /// Number of digits after the decimal separator (2 for CNY, 0 for JPY, 3 for KWD).
    public let minorUnitDigits: Int

    /// Looks up a code case-insensitively (`usd` → `USD`); `nil` when unknown.
    public init?(code: String) {
        guard code.utf8.count == 3,
              code.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }),
              case let upper = code.uppercased(),
              let digits = Self.exponents[upper]
        else { return nil }
        self.code = upper
        self.minorUnitDigits = digits
    }

    /// Chinese yuan renminbi, Alipay's settlement currency.
    public static let cny = ISO4217Currency(known: "CNY")
    /// US dollar.
    public static let usd = ISO4217Currency(known: "USD")

    /// The code, e.g. `CNY`.
    public var description: String { code }

    /// Every supported code with its exponent.
    public static let exponents: [String: Int] = [
        "CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "HKD": 2, "TWD": 2, "SGD": 2,
        "AUD": 2, "CAD": 2, "CHF": 2, "NZD": 2, "SEK": 2, "NOK": 2, "DKK": 2,
        "MOP": 2, "MYR": 2, "THB": 2, "INR": 2,
        "JPY": 0, "KRW": 0, "VND": 0, "CLP": 0,
        "KWD": 3, "BHD": 3, "JOD": 3, "OMR": 3, "TND": 3,
    ]

    private init(known code: String) {
        guard let currency = ISO4217Currency(code: code) else {
            preconditionFailure("\(code) missing from the ISO 4217 table")
        }
        self = currency
    }
}
