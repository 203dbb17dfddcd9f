/// A content digest such as `sha256:0123…`, validated so that it is safe to use as a
/// file name and to compare with a computed hash.
///
/// Only `sha256` and `sha512` are accepted: they are the algorithms registries use, and
/// Ferry must be able to verify every digest it stores.
public struct Digest: Sendable, Hashable, Codable, CustomStringConvertible, Comparable {
    /// The hash algorithms Ferry can verify.
    public enum Algorithm: String, Sendable, Codable, CaseIterable {
        case sha256
        case sha512

        /// Number of lowercase hex characters in an encoded digest of this algorithm.
        public var hexLength: Int {
            switch self {
            case .sha256: 64
            case .sha512: 128
            }
        }
    }

    public let algorithm: Algorithm
    /// Lowercase hex of the hash.
    public let hex: String

    /// Parses `algorithm:hex`, rejecting unknown algorithms, wrong lengths and any
    /// character that is not lowercase hex.
    public init(parsing text: some StringProtocol) throws(OCIError) {
        guard text.utf8.count <= 7 + 1 + 128, let colon = text.firstIndex(of: ":") else {
            throw OCIError(.digestInvalid, "invalid digest \(OCIError.quote(text)): expected algorithm:hex")
        }
        let algorithmText = text[text.startIndex..<colon]
        let hexText = text[text.index(after: colon)...]
        guard let algorithm = Algorithm(rawValue: String(algorithmText)) else {
            throw OCIError(.digestInvalid, "unsupported digest algorithm \(OCIError.quote(algorithmText)): use sha256 or sha512")
        }
        guard hexText.utf8.count == algorithm.hexLength,
              hexText.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) })
        else {
            throw OCIError(.digestInvalid, "invalid \(algorithm.rawValue) digest: expected \(algorithm.hexLength) lowercase hex characters")
        }
        self.algorithm = algorithm
        self.hex = String(hexText)
    }

    /// Creates a digest from a computed hash.
    public init(algorithm: Algorithm, bytes: some Sequence<UInt8>) {
        let table = Array("0123456789abcdef".utf8)
        var hex = [UInt8]()
        for byte in bytes {
            hex.append(table[Int(byte >> 4)])
            hex.append(table[Int(byte & 0x0f)])
        }
        self.algorithm = algorithm
        self.hex = String(decoding: hex, as: UTF8.self)
    }

    public var description: String { "\(algorithm.rawValue):\(hex)" }

    public static func < (lhs: Digest, rhs: Digest) -> Bool { lhs.description < rhs.description }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        self = try Digest(parsing: text)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
