import OCI

/// Decides what a token grants: the intersection of what was asked for and what a
/// subscriber may do, which is to pull repositories Ferry mirrors. Never push.
public enum ScopeGrant {
    /// The actions a subscriber may ever be granted.
    public static let allowedActions: Set<String> = ["pull"]

    /// Grants for `requested` scopes: only `repository` scopes, only allowed actions,
    /// only names that are valid and routable (`isMirrored`). Entries that end up with
    /// no action are dropped; duplicates are merged.
    public static func grant(_ requested: [Scope], isMirrored: (String) -> Bool) -> [RegistryClaims.ResourceActions] {
        var granted: [String: Set<String>] = [:]
        var order: [String] = []
        for scope in requested where scope.type == "repository" {
            let actions = Set(scope.actions).intersection(allowedActions)
            guard !actions.isEmpty, (try? RepositoryName(parsing: scope.name)) != nil, isMirrored(scope.name) else { continue }
            if granted[scope.name] == nil { order.append(scope.name) }
            granted[scope.name, default: []].formUnion(actions)
        }
        return order.map { RegistryClaims.ResourceActions(type: "repository", name: $0, actions: granted[$0]!.sorted()) }
    }
}
