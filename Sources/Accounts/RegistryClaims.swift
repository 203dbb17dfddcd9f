import JWTKit

/// The claims of a Docker registry bearer token. Times are whole seconds and `aud` a
/// single string: the CNCF registry 2.8 rejects fractional times and audience lists.
public struct RegistryClaims: JWTPayload, Equatable {
    /// One `access` entry: a resource and the actions granted on it.
    public struct ResourceActions: Codable, Sendable, Equatable, Hashable {
        public var type: String
        public var name: String
        public var actions: [String]

        /// Creates an entry.
        public init(type: String, name: String, actions: [String]) {
            self.type = type
            self.name = name
            self.actions = actions
        }
    }

    public var iss: String
    public var sub: String
    public var aud: String
    public var exp: Int
    public var nbf: Int
    public var iat: Int
    public var jti: String
    public var access: [ResourceActions]
    /// Ferry's user id: the name alone could be deleted and given to someone else.
    public var uid: Int64?
    /// What the token was minted with (`Credential`'s claim form), so revoking that ends it.
    public var cred: String?

    /// Time and audience are checked by `RegistryTokenService` with its own clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// Whether the token allows `action` on repository `name`.
    public func allows(_ action: String, repository name: String) -> Bool {
        access.contains { $0.type == "repository" && $0.name == name && $0.actions.contains(action) }
    }
}
