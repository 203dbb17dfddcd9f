/// A client-facing protocol error: an input that could not be parsed (name, digest,
/// reference, range) or a request the registry API does not allow.
///
/// The message is safe to show to a client: it names the rule that was broken,
/// never echoes more than a short prefix of the offending input.
public struct OCIError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The OCI error code a client should receive for this input.
    public let code: OCIErrorCode
    /// A one-line, client-safe explanation.
    public let message: String

    /// Creates a parse error with the code a client should see.
    public init(_ code: OCIErrorCode, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }

    /// Shortens untrusted input (and masks control characters) before it is quoted in
    /// a message or a log line.
    public static func quote(_ input: some StringProtocol) -> String {
        let limit = 64
        let printable = input.unicodeScalars.map { $0.value >= 0x20 && $0.value < 0x7f ? Character($0) : "?" }
        let text = String(printable.prefix(limit))
        return printable.count > limit ? "\"\(text)…\"" : "\"\(text)\""
    }
}
