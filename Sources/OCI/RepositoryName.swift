/// A repository name as the distribution spec defines it: lowercase path components
/// (`[a-z0-9]+` joined by `.`, `_`, `__` or runs of `-`) separated by `/`, at most 255
/// characters in all.
///
/// The grammar admits no `..`, no empty component, no `%` and no leading or trailing
/// `/`, so a valid name can be used as a relative path under a data directory.
public struct RepositoryName: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The longest name accepted, per the distribution spec.
    public static let maximumLength = 255

    /// The validated name, e.g. `library/nginx`.
    public let value: String

    /// Validates `text` against the distribution grammar.
    public init(parsing text: some StringProtocol) throws(OCIError) {
        guard !text.isEmpty else {
            throw OCIError(.nameInvalid, "repository name is empty")
        }
        guard text.utf8.count <= Self.maximumLength else {
            throw OCIError(.nameInvalid, "repository name is longer than \(Self.maximumLength) characters")
        }
        for component in text.split(separator: "/", omittingEmptySubsequences: false) {
            guard Self.isValidComponent(component.utf8) else {
                throw OCIError(.nameInvalid, "invalid repository name \(OCIError.quote(text)): components must match [a-z0-9]+([._-][a-z0-9]+)*")
            }
        }
        self.value = String(text)
    }

    /// The path components, e.g. `["library", "nginx"]`.
    public var components: [Substring] { value.split(separator: "/") }

    /// Returns this name with `prefix/` in front, validated again for length.
    public func prefixed(with prefix: String) throws(OCIError) -> RepositoryName {
        try RepositoryName(parsing: "\(prefix)/\(value)")
    }

    public var description: String { value }

    public init(from decoder: any Decoder) throws {
        self = try RepositoryName(parsing: try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    /// `[a-z0-9]+ ((\.|_|__|-+) [a-z0-9]+)*`
    static func isValidComponent(_ bytes: some Collection<UInt8>) -> Bool {
        func isAlphaNumeric(_ byte: UInt8) -> Bool {
            (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39)
        }
        var previousWasAlphaNumeric = false
        var separatorRun: [UInt8] = []
        for byte in bytes {
            if isAlphaNumeric(byte) {
                if !separatorRun.isEmpty {
                    let isDashes = separatorRun.allSatisfy { $0 == 0x2d }
                    let allowed = isDashes || separatorRun == [0x2e] || separatorRun == [0x5f] || separatorRun == [0x5f, 0x5f]
                    guard allowed else { return false }
                    separatorRun.removeAll(keepingCapacity: true)
                }
                previousWasAlphaNumeric = true
            } else if byte == 0x2e || byte == 0x5f || byte == 0x2d {
                guard previousWasAlphaNumeric || !separatorRun.isEmpty else { return false }
                separatorRun.append(byte)
                previousWasAlphaNumeric = false
            } else {
                return false
            }
        }
        return previousWasAlphaNumeric && separatorRun.isEmpty
    }
}
