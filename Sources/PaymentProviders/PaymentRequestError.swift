/// Why an outgoing payment request (order, page-pay URL, payment link) could
/// not be built. The reason never contains keys or secrets.
public struct PaymentRequestError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, e.g. `order number must be 1-64 of [A-Za-z0-9_]`.
    public let reason: String

    /// Creates an error with a log-safe reason.
    public init(_ reason: String) { self.reason = reason }

    /// A log-safe explanation.
    public var description: String { "payment request refused: \(reason)" }
}
