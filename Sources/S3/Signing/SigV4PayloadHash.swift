import Crypto

/// The payload hash of a request: a lowercase hex SHA-256, or `UNSIGNED-PAYLOAD`.
public struct SigV4PayloadHash: Sendable, Hashable, CustomStringConvertible {
    /// The value placed in the canonical request and in `x-amz-content-sha256`.
    public let value: String

    private init(unchecked value: String) {
        self.value = value
    }

    /// Wraps a SHA-256 given as 64 hex digits (upper case is lowered); nil if malformed.
    public init?(sha256Hex: String) {
        let lowered = sha256Hex.lowercased()
        guard lowered.utf8.count == 64, lowered.utf8.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) }) else {
            return nil
        }
        self.value = lowered
    }

    /// The payload is not covered by the signature (`UNSIGNED-PAYLOAD`).
    public static let unsigned = SigV4PayloadHash(unchecked: "UNSIGNED-PAYLOAD")

    /// The SHA-256 of an empty body.
    public static let emptyBody = SigV4PayloadHash(unchecked: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")

    /// The SHA-256 of the given bytes.
    public static func sha256<Bytes: Sequence>(of bytes: Bytes) -> SigV4PayloadHash where Bytes.Element == UInt8 {
        SigV4PayloadHash(unchecked: HexEncoding.lowercase(SHA256.hash(data: Array(bytes))))
    }

    /// The hash value.
    public var description: String { value }
}
