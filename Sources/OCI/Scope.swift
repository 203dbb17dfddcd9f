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
    public init(parsing text: String) throws(OCIError) {
        guard text.utf8.count <= 1024,
              let first = text.firstIndex(of: ":"), let last = text.lastIndex(of: ":"), first < last
        else {
            throw OCIError(.denied, "invalid scope \(OCIError.quote(text)): expected type:name:actions")
        }
        let type = String(text[text.startIndex..<first])
        let name = String(text[text.index(after: first)..<last])
        let actions = text[text.index(after: last)...].split(separator: ",").map(String.init)
        guard !type.isEmpty, !name.isEmpty else {
            throw OCIError(.denied, "invalid scope \(OCIError.quote(text)): expected type:name:actions")
        }
        self.init(type: type, name: name, actions: actions)
    }

    public var description: String { "\(type):\(name):\(actions.joined(separator: ","))" }
}
