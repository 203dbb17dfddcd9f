/// Why a text or minor-unit amount was refused by ``MoneyAmount``.
public enum MoneyAmountError: Error, Sendable, Hashable, CustomStringConvertible {
    /// Not of the form `digits` or `digits.digits` (signs, exponents, spaces,
    /// separators other than one `.`, and empty text are refused).
    case notANumber
    /// More fraction digits than the currency has (e.g. `1.005` CNY, `1.5` JPY).
    case tooManyDecimals(allowed: Int)
    /// Negative minor units.
    case negative
    /// Does not fit in `Int64` minor units.
    case overflow

    /// A log-safe explanation.
    public var description: String {
        switch self {
        case .notANumber: "amount is not a plain decimal number"
        case .tooManyDecimals(let allowed): "amount has more than \(allowed) decimal digit(s)"
        case .negative: "amount is negative"
        case .overflow: "amount is too large"
        }
    }
}
