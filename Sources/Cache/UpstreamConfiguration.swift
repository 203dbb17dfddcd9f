import Foundation

/// How to reach one upstream registry and which names it answers to.
///
/// A plain value handed in by `ferry`; nothing here reads the environment.
public struct UpstreamConfiguration: Sendable, Equatable {
    /// Short identifier used in configuration keys, logs and the cache layout (`docker`, `quay`).
    public var id: String
    /// The registry name clients use in image references (`docker.io`, `quay.io`).
    public var registry: String
    /// Other registry names that mean the same upstream (`registry-1.docker.io`, `index.docker.io`).
    public var aliases: [String]
    /// Base URL of the upstream's registry API, e.g. `https://registry-1.docker.io`.
    public var url: URL
    /// Host names (without port) that select this upstream by the `Host` header, e.g. `docker.mirror.example.com`.
    public var hosts: [String]
    /// Whether a one-component name gets `library/` in front, as on Docker Hub.
    public var usesLibraryNamespace: Bool
    /// Optional credentials for the upstream (its token realm or Basic auth).
    public var credentials: Credentials?
    /// Token realm hosts, besides the upstream's own site, that may receive the credentials.
    public var trustedRealmHosts: [String]

    /// A user name and password (or access token) for an upstream.
    public struct Credentials: Sendable, Equatable, CustomStringConvertible {
        public var username: String
        public var password: String

        /// Creates credentials.
        public init(username: String, password: String) {
            self.username = username
            self.password = password
        }

        /// Never prints the password.
        public var description: String { "\(username):<redacted>" }
    }

    /// Creates an upstream description.
    public init(
        id: String,
        registry: String,
        aliases: [String] = [],
        url: URL,
        hosts: [String] = [],
        usesLibraryNamespace: Bool = false,
        credentials: Credentials? = nil,
        trustedRealmHosts: [String] = []
    ) {
        self.id = id
        self.registry = registry
        self.aliases = aliases
        self.url = url
        self.hosts = hosts
        self.usesLibraryNamespace = usesLibraryNamespace
        self.credentials = credentials
        self.trustedRealmHosts = trustedRealmHosts
    }

    /// Every registry name (lowercased) that refers to this upstream.
    public var registryNames: [String] { ([registry] + aliases).map { $0.lowercased() } }
}
