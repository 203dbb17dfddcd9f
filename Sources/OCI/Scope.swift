/// A token scope of the Docker registry token spec: `repository:NAME:pull,push`.
public struct Scope: Sendable, Hashable, CustomStringConvertible {
    /// Resource type, usually `repository`.
    public let type: String
    /// Resource name, e.g. `library/nginx`.
    public let name: String
    /// Actions such as `pull`, in the order given.
    public let actions: [String]

    /// Creates a scope from its parts.
    public init(type: String, name: String, actions: [String]) {
        self.type = type
        self.name = name
        self.actions = actions
    }

    /// The pull scope for a repository.
    public static func pull(_ repository: RepositoryName) -> Scope {
        Scope(type: "repository", name: repository.value, actions: ["pull"])
    }

    /// Parses `type:name:actions`; the name may itself contain `:` (a registry port),
    /// so the type ends at the first colon and the actions start after the last.
    ///
    /// Splits at bytes: a `:` or `,` followed by a combining mark is one Character with
    /// it, which a Character search skips.
    public init(parsing text: String) throws(OCIError) {
        let bytes = text.utf8
        guard bytes.count <= 1024,
              let first = bytes.firstIndex(of: UInt8(ascii: ":")), let last = bytes.lastIndex(of: UInt8(ascii: ":")), first < last
        else {
            throw OCIError(.denied, "invalid scope \(OCIError.quote(text)): expected type:name:actions")
        }
        let type = String(decoding: bytes[..<first], as: UTF8.self)
        let name = String(decoding: bytes[bytes.index(after: first)..<last], as: UTF8.self)
        let actions = bytes[bytes.index(after: last)...].split(separator: UInt8(ascii: ",")).map { String(decoding: $0, as: UTF8.self) }
        guard !type.isEmpty, !name.isEmpty else {
            throw OCIError(.denied, "invalid scope \(OCIError.quote(text)): expected type:name:actions")
        }
        self.init(type: type, name: name, actions: actions)
    }

    public var description: String { "\(type):\(name):\(actions.joined(separator: ","))" }
}
