import Foundation

/// The username and secret of an `Authorization: Basic base64(user:secret)` header.
public struct BasicCredentials: Sendable, Equatable {
    public let username: String
    public let secret: String

    /// Parses the header; nil when it is missing or not Basic credentials.
    public init?(header: String?) {
        guard let header, header.lowercased().hasPrefix("basic "),
              let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingCharacters(in: .whitespaces)),
              let text = String(data: decoded, encoding: .utf8),
              let colon = text.firstIndex(of: ":")
        else { return nil }
        username = String(text[..<colon])
        secret = String(text[text.index(after: colon)...])
    }
}
