/// Why a provider configuration was refused (unreadable key, unusable URL).
/// The reason never contains key material.
public struct PaymentConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong, e.g. `merchant private key is not an RSA key of at least 2048 bits`.
    public let reason: String

    /// Creates an error with a log-safe reason.
    public init(_ reason: String) { self.reason = reason }

    /// A log-safe explanation.
    public var description: String { "payment configuration refused: \(reason)" }
}
