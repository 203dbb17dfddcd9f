import Cache
import FerryTestSupport
import Gateway
import OCI
import Testing

@Suite struct UpstreamDirectoryTests {
    let docker = InMemoryUpstream(id: "docker", registry: "docker.io", hosts: ["docker.mirror.test"], usesLibraryNamespace: true)
    let quay = InMemoryUpstream(id: "quay", registry: "quay.io", hosts: ["quay.mirror.test"])
    let k8s = InMemoryUpstream(id: "k8s", registry: "registry.k8s.io", hosts: ["k8s.mirror.test"])
    let directory: UpstreamDirectory

    init() throws {
        directory = try UpstreamDirectory(upstreams: [docker, quay, k8s], defaultID: "docker")
    }

    func route(_ name: String, host: String? = "mirror.test", ns: String? = nil) throws -> (String, String) {
        let resolved = try directory.resolve(name: name, host: host, namespace: ns)
        return (resolved.upstream.configuration.id, resolved.repository.value)
    }

    @Test func pathPrefixSelectsTheUpstreamAndIsStripped() throws {
        #expect(try route("quay.io/coreos/etcd") == ("quay", "coreos/etcd"))
        #expect(try route("registry.k8s.io/pause") == ("k8s", "pause"))
        #expect(try route("docker.io/library/nginx") == ("docker", "library/nginx"))
        #expect(try route("docker.io/nginx") == ("docker", "library/nginx"))
    }

    @Test func unprefixedNamesGoToTheDefaultWithLibraryNamespace() throws {
        #expect(try route("nginx") == ("docker", "library/nginx"))
        #expect(try route("grafana/grafana") == ("docker", "grafana/grafana"))
    }

    @Test func hostHeaderSelectsTheUpstream() throws {
        #expect(try route("coreos/etcd", host: "quay.mirror.test") == ("quay", "coreos/etcd"))
        #expect(try route("coreos/etcd", host: "QUAY.mirror.test:443") == ("quay", "coreos/etcd"))
        #expect(try route("nginx", host: "docker.mirror.test:5000") == ("docker", "library/nginx"))
        // On an upstream's own host, a name is never treated as a registry prefix.
        #expect(try route("quay.io/x", host: "k8s.mirror.test") == ("k8s", "quay.io/x"))
    }

    @Test func containerdNamespaceParameterSelectsTheUpstream() throws {
        #expect(try route("coreos/etcd", ns: "quay.io") == ("quay", "coreos/etcd"))
        #expect(try route("nginx", ns: "docker.io") == ("docker", "library/nginx"))
        #expect(try route("pause", host: "quay.mirror.test", ns: "registry.k8s.io") == ("k8s", "pause"))
    }

    @Test func aliasesRouteToTheirUpstream() throws {
        let upstream = InMemoryUpstream(id: "k8s", registry: "registry.k8s.io", aliases: ["k8s.gcr.io"])
        let directory = try UpstreamDirectory(upstreams: [upstream], defaultID: "k8s")
        let resolved = try directory.resolve(name: "k8s.gcr.io/pause", host: nil, namespace: nil)
        #expect(resolved.upstream.configuration.id == "k8s")
        #expect(resolved.repository.value == "pause")
    }

    @Test func unknownRegistriesAndBadNamesAreRefused() throws {
        #expect(throws: OCIError.self) { try route("evil.example.com/x/y") }
        #expect(throws: OCIError.self) { try route("x", ns: "evil.example.com") }
        #expect(throws: OCIError.self) { try route("UPPER/case") }
        #expect(throws: OCIError.self) { try route("a/../b") }
        #expect(throws: OCIError.self) { try route(String(repeating: "a", count: 256)) }
        #expect(throws: OCIError.self) { try UpstreamDirectory(upstreams: [docker], defaultID: "missing") }
    }
}


@Suite struct UnknownHostTests {
    let docker = InMemoryUpstream(id: "docker", registry: "docker.io", hosts: ["docker.mirror.test"], usesLibraryNamespace: true)
    let quay = InMemoryUpstream(id: "quay", registry: "quay.io", hosts: ["quay.mirror.test"])

    /// Cache review #16: a host under Ferry's domain that names no upstream is refused,
    /// never served from Docker Hub; trailing dots and ports do not matter.
    @Test func aHostUnderOurDomainThatNamesNoUpstreamIsRefused() throws {
        let directory = try UpstreamDirectory(upstreams: [docker, quay], defaultID: "docker", domains: ["mirror.test"])
        #expect(try directory.resolve(name: "coreos/etcd", host: "quay.mirror.test.", namespace: nil).upstream.configuration.id == "quay")
        #expect(try directory.resolve(name: "coreos/etcd", host: "QUAY.mirror.test.:443", namespace: nil).upstream.configuration.id == "quay")
        #expect(throws: OCIError.self) { try directory.resolve(name: "coreos/etcd", host: "qauy.mirror.test", namespace: nil) }
        do {
            _ = try directory.resolve(name: "coreos/etcd", host: "ghcr.mirror.test", namespace: nil)
            Issue.record("an unknown host was routed")
        } catch {
            #expect(error.code == .nameUnknown)
        }
        // Ferry's own host, a mirror-key host, an address: the name decides.
        #expect(try directory.resolve(name: "nginx", host: "mirror.test", namespace: nil).upstream.configuration.id == "docker")
        #expect(try directory.resolve(name: "nginx", host: String(repeating: "a", count: 52) + ".mirror.test", namespace: nil).upstream.configuration.id == "docker")
        #expect(try directory.resolve(name: "nginx", host: "[::1]:5000", namespace: nil).upstream.configuration.id == "docker")
        #expect(try directory.resolve(name: "quay.io/coreos/etcd", host: "127.0.0.1:5000", namespace: nil).upstream.configuration.id == "quay")
    }
}
