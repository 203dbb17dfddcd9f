import Cache
import Foundation

/// The registries Ferry mirrors and how it talks to them.
///
/// Configuration keys:
/// - `upstreams`: the ids to mirror, in order (default the five built in: docker, gcr,
///   k8s, quay, ghcr).
/// - `default-upstream`: where names without a registry go (default `docker` when listed, else the first).
/// - `domain`: base domain for per-upstream host names (`quay.<domain>`).
/// - `upstream-timeout.connect|response|read`: 10s, 30s, 60s by default.
/// - per upstream, `upstream.<id>.registry|url|aliases|hosts|library|username|password|
///   password-file|trusted-realms` (built-in ids have defaults for all but the credentials).
public struct UpstreamsConfiguration: Sendable {
    public var upstreams: [UpstreamConfiguration]
    public var defaultUpstream: String
    /// Base domain for per-upstream host names.
    public var domain: String?
    public var connectTimeout: Duration
    public var responseTimeout: Duration
    public var readTimeout: Duration

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        domain = reader.string("domain")?.lowercased()
        let ids = reader.list("upstreams") ?? DefaultUpstreams.all.map(\.id)
        guard !ids.isEmpty else { throw ConfigurationError("upstreams: at least one upstream is required") }
        var upstreams: [UpstreamConfiguration] = []
        for id in ids {
            upstreams.append(try Self.upstream(id, reader: reader, domain: domain))
        }
        try Self.checkUnique(upstreams)
        self.upstreams = upstreams
        defaultUpstream = reader.string("default-upstream", default: ids.contains("docker") ? "docker" : ids[0])
        guard ids.contains(defaultUpstream) else {
            throw ConfigurationError("default-upstream: \"\(defaultUpstream)\" is not in upstreams (\(ids.joined(separator: ", ")))")
        }
        let timeouts = reader.scoped(to: "upstream-timeout")
        connectTimeout = try timeouts.duration("connect", default: .seconds(10))
        responseTimeout = try timeouts.duration("response", default: .seconds(30))
        readTimeout = try timeouts.duration("read", default: .seconds(60))
    }

    /// The default upstream's registry name (`docker.io`).
    public var defaultRegistry: String {
        upstreams.first { $0.id == defaultUpstream }?.registry ?? "docker.io"
    }

    /// One upstream: built-in defaults for the five public registries, overridable key by key.
    private static func upstream(_ id: String, reader: ConfigValues, domain: String?) throws(ConfigurationError) -> UpstreamConfiguration {
        guard id.range(of: "^[a-z0-9][a-z0-9-]{0,31}$", options: .regularExpression) != nil else {
            throw ConfigurationError("upstreams: \"\(id)\" is not a valid id (lowercase letters, digits, dashes)")
        }
        let values = reader.scoped(to: "upstream").scoped(to: id)
        let key = "upstream.\(id)"
        let builtIn = DefaultUpstreams.all.first { $0.id == id }
        guard let registry = values.string("registry") ?? builtIn?.registry else {
            throw ConfigurationError("\(key).registry: required for an upstream that is not built in")
        }
        guard let url = try values.url("url", default: builtIn?.url) else {
            throw ConfigurationError("\(key).url: required for an upstream that is not built in")
        }
        let hosts = values.list("hosts") ?? domain.map { ["\(id).\($0)"] } ?? []
        let username = values.string("username")
        let password = try values.secret("password")
        var credentials: UpstreamConfiguration.Credentials?
        switch (username, password) {
        case (let username?, let password?): credentials = .init(username: username, password: password)
        case (.some, nil): throw ConfigurationError("\(key).password: required when \(key).username is set")
        case (nil, .some): throw ConfigurationError("\(key).username: required when \(key).password is set")
        case (nil, nil): credentials = nil
        }
        return UpstreamConfiguration(
            id: id,
            registry: registry.lowercased(),
            aliases: values.list("aliases") ?? builtIn?.aliases ?? [],
            url: url,
            hosts: hosts.map { $0.lowercased() },
            usesLibraryNamespace: try values.bool("library", default: builtIn?.library ?? false),
            credentials: credentials,
            trustedRealmHosts: (builtIn?.trustedRealms ?? []) + (values.list("trusted-realms") ?? [])
        )
    }

    private static func checkUnique(_ upstreams: [UpstreamConfiguration]) throws(ConfigurationError) {
        var registries: [String: String] = [:]
        var hosts: [String: String] = [:]
        for upstream in upstreams {
            for name in upstream.registryNames {
                if let other = registries.updateValue(upstream.id, forKey: name), other != upstream.id {
                    throw ConfigurationError("upstream.\(upstream.id): registry name \(name) is also used by upstream \(other)")
                }
            }
            for host in upstream.hosts {
                if let other = hosts.updateValue(upstream.id, forKey: host), other != upstream.id {
                    throw ConfigurationError("upstream.\(upstream.id).hosts: \(host) is also used by upstream \(other)")
                }
            }
        }
    }
}

/// The five public registries Ferry mirrors out of the box.
enum DefaultUpstreams {
    struct Entry {
        let id: String
        let registry: String
        let aliases: [String]
        let url: String
        let library: Bool
        /// Token realms on other hosts that may receive this upstream's credentials.
        var trustedRealms: [String] = []
    }

    static let all = [
        Entry(
            id: "docker", registry: "docker.io", aliases: ["registry-1.docker.io", "index.docker.io", "registry.hub.docker.com"], url: "https://registry-1.docker.io",
            library: true, trustedRealms: ["auth.docker.io"]
        ),
        Entry(id: "gcr", registry: "gcr.io", aliases: [], url: "https://gcr.io", library: false),
        Entry(id: "k8s", registry: "registry.k8s.io", aliases: ["k8s.gcr.io"], url: "https://registry.k8s.io", library: false),
        Entry(id: "quay", registry: "quay.io", aliases: [], url: "https://quay.io", library: false),
        Entry(id: "ghcr", registry: "ghcr.io", aliases: [], url: "https://ghcr.io", library: false),
    ]
}
