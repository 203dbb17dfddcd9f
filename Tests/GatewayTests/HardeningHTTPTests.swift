import Cache
import FerryServer
import FerryTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import OCI
import Testing

/// Hardening notes of the 2026-12-04 review over HTTP: `/v2` answers are never sniffed
/// into pages (H1), `/metrics` answers only allowed networks (H6), and a manifest HEAD
/// costs no upstream GET in open mode either (S2).
@Suite struct HardeningHTTPTests {
    let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)

    func withApp(_ values: [String: String] = [:], _ setup: TestingSetup = .router, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = try await testConfiguration(["public-url": "http://mirror.test"].merging(values) { $1 })
        let dependencies = try await Dependencies.inMemory(configuration, upstreams: [upstream], logger: quietTestLogger)
        let app = try await buildApplication(configuration, dependencies, logger: quietTestLogger)
        try await app.test(setup) { client in try await test(client) }
    }

    /// Review H1: a hostile upstream's `text/html` "manifest" went out as `text/html`,
    /// with no `nosniff`, on hosts that share the portal's site.
    @Test func manifestsGoOutOnlyAsManifestTypesAndNothingIsSniffed() async throws {
        upstream.addManifest(Array("<script>alert(1)</script>".utf8), mediaType: "text/html", repository: "library/page", tag: "latest")
        upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.ociManifest, repository: "library/nginx", tag: "latest")
        try await withApp { client in
            for method in [HTTPRequest.Method.get, .head] {
                try await client.execute(uri: "/v2/page/manifests/latest", method: method) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/octet-stream")  // before: text/html
                    #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
                }
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get) { #expect($0.headers[.contentType] == MediaType.ociManifest) }
            try await client.execute(uri: "/v2/nginx/manifests/missing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            }
        }
    }

    /// Review H6: `/metrics` was public on the listener; now only loopback and private
    /// networks (by default) read it, a proxied client by the address the proxy reports.
    @Test func metricsAreServedOnlyToAllowedNetworks() async throws {
        try await withApp(["trusted-proxies": "127.0.0.1"], .live) { client in
            try await client.execute(uri: "/metrics", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "10.1.2.3"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.5"]) { response in
                #expect(response.status == .forbidden)  // before: 200 with every series
            }
            try await client.execute(uri: "/healthz", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.5"]) { #expect($0.status == .ok) }
        }
        try await withApp(["trusted-proxies": "127.0.0.1", "metrics.allowed-networks": "203.0.113.0/24"], .live) { client in
            try await client.execute(uri: "/metrics", method: .get, headers: [HTTPField.Name("X-Forwarded-For")!: "203.0.113.5"]) { #expect($0.status == .ok) }
        }
    }

    /// Review S2, without billing: an uncached HEAD is answered by the upstream's HEAD.
    @Test func anUncachedManifestHeadCostsNoUpstreamGet() async throws {
        let body = Array(#"{"schemaVersion":2,"x":1}"#.utf8)
        let digest = upstream.addManifest(body, mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "v9")
        try await withApp { client in
            try await client.execute(uri: "/v2/nginx/manifests/v9", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Docker-Content-Digest")!] == digest.description)
                #expect(response.headers[.contentLength] == String(body.count))
            }
            try await client.execute(uri: "/v2/nginx/manifests/\(digest)", method: .head) { #expect($0.status == .ok) }
            #expect(upstream.counts.manifestGets == 0)
            try await client.execute(uri: "/v2/nginx/manifests/v9", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/nginx/manifests/v9", method: .head) { #expect($0.status == .ok) }
            #expect(upstream.counts.manifestGets == 1, "after a GET, HEADs are answered from the cache")
        }
    }
}
