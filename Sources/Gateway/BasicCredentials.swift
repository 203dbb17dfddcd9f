import Foundation

/// The username and secret of an `Authorization: Basic base64(user:secret)` header.
public struct BasicCredentials: Sendable, Equatable {
    public let username: String
    public let secret: String

    /// Parses the header; nil when it is missing, not Basic credentials, or not UTF-8.
    ///
    /// Works on bytes: the user id ends at the first colon byte (RFC 7617), and the
    /// secret may hold more colons. (A Character search skips a colon that a
    /// combining mark follows.)
    public init?(header: String?) {
        guard let header else { return nil }
        let bytes = Array(header.utf8)
        let scheme = Array("basic ".utf8)
        guard bytes.count > scheme.count,
              zip(bytes, scheme).allSatisfy({ Self.asciiLowercased($0) == $1 })
        else { return nil }
        let isSpace = { (byte: UInt8) in byte == 0x20 || byte == 0x09 }
        guard let first = bytes[scheme.count...].firstIndex(where: { !isSpace($0) }),
              let last = bytes.lastIndex(where: { !isSpace($0) }),
              let decoded = Data(base64Encoded: Data(bytes[first...last])),
              let colon = decoded.firstIndex(of: UInt8(ascii: ":")),
              let username = String(validating: decoded[..<colon], as: UTF8.self),
              let secret = String(validating: decoded[(colon + 1)...], as: UTF8.self)
        else { return nil }
        self.username = username
        self.secret = secret
    }

    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (0x41...0x5a).contains(byte) ? byte + 0x20 : byte
    }
}
