import Foundation

/// What the portal needs to know about the deployment, resolved by `ferry` at start-up.
public struct PortalSettings: Sendable {
    /// The URL subscribers reach Ferry at; its host[:port] goes into setup snippets.
    public var publicURL: URL
    /// Upstream registries (name such as `docker.io`, and server URL), for the containerd
    /// and podman snippets, in configuration order.
    public var registries: [Registry]
    /// The registry that unprefixed names resolve to (usually `docker.io`).
    public var defaultRegistry: String
    /// Mirror-key host names are `<key>.<mirrorDomain>`; nil when they are off.
    public var mirrorDomain: String?
    /// Whether Ferry itself serves TLS: cookies are then always `Secure`.
    public var servesTLS: Bool
    /// Requests per minute one client address may make to the portal's pages.
    public var requestsPerMinute: Int

    /// An upstream registry as the snippets name it.
    public struct Registry: Sendable, Equatable {
        /// The registry's name, e.g. `docker.io`.
        public var name: String
        /// Its server URL, e.g. `https://registry-1.docker.io`.
        public var server: String

        /// Creates a registry value.
        public init(name: String, server: String) {
            self.name = name
            self.server = server
        }
    }

    /// Creates settings.
    public init(publicURL: URL, registries: [Registry], defaultRegistry: String, mirrorDomain: String?, servesTLS: Bool, requestsPerMinute: Int = 240) {
        self.publicURL = publicURL
        self.registries = registries
        self.defaultRegistry = defaultRegistry
        self.mirrorDomain = mirrorDomain
        self.servesTLS = servesTLS
        self.requestsPerMinute = requestsPerMinute
    }

    /// `host[:port]` of the public URL: what `docker login` and the snippets use.
    public var endpoint: String {
        let host = publicURL.host ?? "localhost"
        return publicURL.port.map { "\(host):\($0)" } ?? host
    }

    /// `scheme://host[:port]` of the public URL, for checking a form's `Origin`.
    public var origin: String {
        "\(publicURL.scheme ?? "http")://\(endpoint)"
    }
}
