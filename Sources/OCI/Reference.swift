/// What follows `/manifests/` in a request: a tag (`latest`, `v1.2.3`) or a digest.
public enum Reference: Sendable, Hashable, CustomStringConvertible {
    case tag(String)
    case digest(Digest)

    /// The longest tag the distribution spec allows.
    public static let maximumTagLength = 128

    /// Parses a tag (`[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`) or, when it contains `:`, a digest.
    public init(parsing text: some StringProtocol) throws(OCIError) {
        if text.contains(":") {
            self = .digest(try Digest(parsing: text))
            return
        }
        guard Self.isValidTag(text.utf8) else {
            throw OCIError(.manifestUnknown, "invalid tag \(OCIError.quote(text)): must match [A-Za-z0-9_][A-Za-z0-9._-]{0,127}")
        }
        self = .tag(String(text))
    }

    public var description: String {
        switch self {
        case .tag(let tag): tag
        case .digest(let digest): digest.description
        }
    }

    /// The digest when this reference is one.
    public var digest: Digest? {
        if case .digest(let digest) = self { return digest }
        return nil
    }

    static func isValidTag(_ bytes: some Collection<UInt8>) -> Bool {
        guard let first = bytes.first, bytes.count <= maximumTagLength else { return false }
        func isWord(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x41 && byte <= 0x5a) || (byte >= 0x30 && byte <= 0x39) || byte == 0x5f
        }
        guard isWord(first) else { return false }
        return bytes.allSatisfy { isWord($0) || $0 == 0x2e || $0 == 0x2d }
    }
}
