import Foundation

/// Who may pull through the gateway.
public enum AccessMode: String, Sendable, CaseIterable {
    /// Only subscribers: a registry bearer token, or a mirror-key host name.
    case subscribers
    /// No authentication: anyone who reaches the listener may pull (private networks only).
    case open
}

/// Settings the gateway needs, resolved and validated by `ferry` before start-up.
public struct GatewayConfiguration: Sendable {
    /// Address and port to listen on.
    public var host: String
    public var port: Int
    /// The URL clients use to reach Ferry, e.g. `https://mirror.example.com`.
    public var publicURL: URL
    /// The token `service` (and JWT `aud`), by default the public URL's host[:port].
    public var tokenService: String
    /// Mirror-key host names are `<key>.<mirrorDomain>`; nil disables them.
    public var mirrorDomain: String?
    /// Reverse proxies whose `X-Forwarded-*` headers are believed.
    public var trustedProxies: [IPNetwork]
    /// Clients that may read `/metrics`; empty lets everyone.
    public var metricsAllowed: [IPNetwork]

    /// Loopback and private networks: where a metrics scraper normally is.
    public static let privateNetworks = ["127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"].compactMap(IPNetwork.init)

    /// Creates a configuration.
    public init(
        host: String, port: Int, publicURL: URL, tokenService: String? = nil, mirrorDomain: String? = nil, trustedProxies: [IPNetwork] = [],
        metricsAllowed: [IPNetwork] = GatewayConfiguration.privateNetworks
    ) {
        self.trustedProxies = trustedProxies
        self.metricsAllowed = metricsAllowed
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.tokenService = tokenService ?? Self.defaultService(for: publicURL)
        self.mirrorDomain = mirrorDomain?.lowercased()
    }

    /// The token realm: `<public URL>/token`.
    public var realm: String {
        var base = publicURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/token"
    }

    static func defaultService(for url: URL) -> String {
        guard let host = url.host else { return "ferry" }
        return url.port.map { "\(host):\($0)" } ?? host
    }
}
