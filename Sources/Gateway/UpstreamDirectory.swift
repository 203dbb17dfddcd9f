import Cache
import OCI

/// An upstream and the repository name to ask it for, after routing.
public struct ResolvedRepository: Sendable {
    public let upstream: any Upstream
    public let repository: RepositoryName
}

/// Chooses the upstream for a request, in this order:
/// 1. containerd's `?ns=<registry>` query parameter;
/// 2. the `Host` header (e.g. `quay.mirror.example.com`);
/// 3. a registry prefix on the name (`quay.io/coreos/etcd`), stripped before asking;
/// 4. the default upstream (docker.io).
/// On Docker Hub a one-component name gets `library/` (`nginx` → `library/nginx`).
public struct UpstreamDirectory: Sendable {
    public let upstreams: [any Upstream]
    let defaultUpstream: any Upstream
    private let byRegistry: [String: Int]
    private let byHost: [String: Int]

    /// Indexes `upstreams`; `defaultID` names the one for unprefixed names.
    public init(upstreams: [any Upstream], defaultID: String) throws(OCIError) {
        guard let defaultIndex = upstreams.firstIndex(where: { $0.configuration.id == defaultID }) else {
            throw OCIError(.nameUnknown, "default upstream \(defaultID) is not configured")
        }
        self.upstreams = upstreams
        self.defaultUpstream = upstreams[defaultIndex]
        var byRegistry: [String: Int] = [:]
        var byHost: [String: Int] = [:]
        for (index, upstream) in upstreams.enumerated() {
            for name in upstream.configuration.registryNames { byRegistry[name] = index }
            for host in upstream.configuration.hosts { byHost[host.lowercased()] = index }
        }
        self.byRegistry = byRegistry
        self.byHost = byHost
    }

    /// Routes a raw name from the request path.
    public func resolve(name rawName: String, host: String?, namespace: String?) throws(OCIError) -> ResolvedRepository {
        var name = try RepositoryName(parsing: rawName)
        let upstream: any Upstream
        if let namespace, !namespace.isEmpty {
            guard let index = byRegistry[namespace.lowercased()] else {
                throw OCIError(.nameUnknown, "registry \(OCIError.quote(namespace)) is not mirrored here")
            }
            upstream = upstreams[index]
        } else if let host = host.map(Self.hostWithoutPort), let index = byHost[host] {
            upstream = upstreams[index]
        } else if let first = name.components.first, name.components.count > 1, Self.looksLikeRegistry(first) {
            guard let index = byRegistry[String(first)] else {
                throw OCIError(.nameUnknown, "registry \(OCIError.quote(first)) is not mirrored here")
            }
            upstream = upstreams[index]
            name = try RepositoryName(parsing: name.value.dropFirst(first.count + 1))
        } else {
            upstream = defaultUpstream
        }
        if upstream.configuration.usesLibraryNamespace, name.components.count == 1 {
            name = try name.prefixed(with: "library")
        }
        return ResolvedRepository(upstream: upstream, repository: name)
    }

    /// Docker's rule: a first component with a `.` (or `localhost`) is a registry host.
    static func looksLikeRegistry(_ component: Substring) -> Bool {
        component.contains(".") || component == "localhost"
    }

    static func hostWithoutPort(_ host: String) -> String {
        if host.hasPrefix("[") { return host.lowercased() }
        return String(host.split(separator: ":", maxSplits: 1).first ?? "").lowercased()
    }
}
