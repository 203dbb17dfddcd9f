/// An exact, non-negative amount of money: the text as a provider sent it and
/// its value in minor units of the currency (fen, cents; yen for JPY).
///
/// No `Double`, no `Decimal`. Two amounts are equal when currency and minor
/// units are equal, whatever their text (`"10.5"` and `"10.50"` CNY are equal).
public struct MoneyAmount: Sendable, Hashable, CustomStringConvertible {
    /// The text as sent by the provider, or ``canonicalText`` when built from minor units.
    public let text: String
    /// The value in minor units of ``currency``.
    public let minorUnits: Int64
    /// The currency.
    public let currency: ISO4217Currency

    /// Parses `digits` or `digits.digits`, refusing more fraction digits than
    /// the currency has, any sign, exponent, whitespace or grouping, and
    /// values beyond `Int64` minor units.
    ///
    ///     try MoneyAmount(parsing: "10.5", currency: .cny).minorUnits  // 1050
    public init(parsing text: String, currency: ISO4217Currency) throws(MoneyAmountError) {
        let bytes = Array(text.utf8)
        let dot = bytes.firstIndex(of: UInt8(ascii: "."))
        let integerPart = bytes[..<(dot ?? bytes.endIndex)]
        let fractionPart = dot.map { bytes[($0 + 1)...] } ?? []
        guard !integerPart.isEmpty, integerPart.allSatisfy(Self.isDigit) else { throw .notANumber }
        if dot != nil {
            guard !fractionPart.isEmpty, fractionPart.allSatisfy(Self.isDigit) else { throw .notANumber }
        }
        guard fractionPart.count <= currency.minorUnitDigits else {
            throw .tooManyDecimals(allowed: currency.minorUnitDigits)
        }
        var value: Int64 = 0
        let padded = Array(integerPart) + Array(fractionPart)
            + Array(repeating: UInt8(ascii: "0"), count: currency.minorUnitDigits - fractionPart.count)
        for digit in padded {
            let (shifted, o1) = value.multipliedReportingOverflow(by: 10)
            let (next, o2) = shifted.addingReportingOverflow(Int64(digit - UInt8(ascii: "0")))
            guard !o1, !o2 else { throw .overflow }
            value = next
        }
        self.text = text
        self.minorUnits = value
        self.currency = currency
    }

    /// Wraps minor units (as Stripe sends them); ``text`` becomes ``canonicalText``.
    public init(minorUnits: Int64, currency: ISO4217Currency) throws(MoneyAmountError) {
        guard minorUnits >= 0 else { throw .negative }
        self.minorUnits = minorUnits
        self.currency = currency
        self.text = Self.format(minorUnits: minorUnits, digits: currency.minorUnitDigits)
    }

    /// The amount with exactly the currency's number of decimals, e.g. `"10.50"`
    /// for 1050 CNY minor units, `"500"` for 500 JPY, `"1.250"` for 1250 KWD.
    public var canonicalText: String {
        Self.format(minorUnits: minorUnits, digits: currency.minorUnitDigits)
    }

    /// `canonicalText` followed by the currency code, e.g. `10.50 CNY`.
    public var description: String { "\(canonicalText) \(currency.code)" }

    /// Equal when currency and minor units are equal.
    public static func == (lhs: MoneyAmount, rhs: MoneyAmount) -> Bool {
        lhs.minorUnits == rhs.minorUnits && lhs.currency == rhs.currency
    }

    /// Hashes currency and minor units (consistent with `==`).
    public func hash(into hasher: inout Hasher) {
        hasher.combine(minorUnits)
        hasher.combine(currency)
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private static func format(minorUnits: Int64, digits: Int) -> String {
        let raw = String(minorUnits)
        guard digits > 0 else { return raw }
        let padded = String(repeating: "0", count: max(0, digits + 1 - raw.count)) + raw
        let split = padded.index(padded.endIndex, offsetBy: -digits)
        return "\(padded[..<split]).\(padded[split...])"
    }
}
