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
///
/// A host under one of Ferry's own `domains` that is neither an upstream's host nor a
/// mirror key (a typo, a host missing from `upstream.<id>.hosts`) is refused with
/// `NAME_UNKNOWN`: silently serving Docker Hub's image of the same name instead would be
/// a supply-chain mix-up.
public struct UpstreamDirectory: Sendable {
    public let upstreams: [any Upstream]
    let defaultUpstream: any Upstream
    private let byRegistry: [String: Int]
    private let byHost: [String: Int]
    /// Ferry's own domains (public URL host, mirror domain), lowercased.
    private let domains: [String]

    /// Indexes `upstreams`; `defaultID` names the one for unprefixed names; `domains`
    /// are the host names Ferry itself answers under.
    public init(upstreams: [any Upstream], defaultID: String, domains: [String] = []) throws(OCIError) {
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
        self.domains = domains.map { Self.normalizedHost($0) }.filter { !$0.isEmpty }
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
        } else if let host, let byHost = try self.upstream(forHost: host) {
            upstream = byHost
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

    /// The upstream a `Host` header selects; nil when it selects none (then the name
    /// decides); throws for a host under Ferry's domains that names nothing.
    private func upstream(forHost header: String) throws(OCIError) -> (any Upstream)? {
        let host = Self.normalizedHost(header)
        if let index = byHost[host] { return upstreams[index] }
        for domain in domains where host.hasSuffix("." + domain) {
            let label = host.dropLast(domain.count + 1)
            if !Self.isMirrorKeyLabel(label) {
                throw OCIError(.nameUnknown, "no upstream is mirrored at host \(OCIError.quote(host))")
            }
        }
        return nil
    }

    /// A `Host` value without port or trailing dot, lowercased (`[::1]:5000` → `::1`).
    static func normalizedHost(_ host: String) -> String {
        var name = IPNetwork.strippingPort(String(host.trimmingHTTPWhitespace())).lowercased()
        while name.hasSuffix(".") { name.removeLast() }
        return name
    }

    /// Whether a host label has the shape of a mirror key: 52 base32 characters.
    static func isMirrorKeyLabel(_ label: Substring) -> Bool {
        label.count == 52 && label.allSatisfy { ("a"..."z").contains($0) || ("2"..."7").contains($0) }
    }
}
