import Cache
import FerryServer
import FerryTestSupport
import Foundation
import Gateway
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OCI
import Synchronization
import Testing

@Suite struct OperationsHTTPTests {
    @Test func metricsHealthAndReadiness() async throws {
        let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)
        let layer = seededBytes(count: 5000, seed: 1)
        let digest = upstream.addBlob(layer)
        upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "latest")
        let problems = Mutex<[String]>([])
        let configuration = try await testConfiguration(["public-url": "http://mirror.test"])
        let clock = TestClock()
        var dependencies = try await Dependencies.inMemory(configuration, upstreams: [upstream], now: { clock.now }, logger: quietTestLogger)
        dependencies.readiness = { problems.withLock { $0 } }
        let cache = dependencies.cache
        let app = try await buildApplication(configuration, dependencies, logger: quietTestLogger)
        try await app.test(.router) { client in
            try await client.execute(uri: "/healthz", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok) }
            problems.withLock { $0 = ["PostgreSQL: connection refused"] }
            // Review S10: /readyz needs no login, so it checks at most once a second.
            try await client.execute(uri: "/readyz", method: .get) { #expect($0.status == .ok, "the answer of this second") }
            clock.advance(by: 1)
            try await client.execute(uri: "/readyz", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(String(buffer: response.body).contains("connection refused"))
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/nginx/blobs/\(digest)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/nginx/blobs/\(digest)", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/metrics", method: .get) { response in
                let text = String(buffer: response.body)
                #expect(text.contains(#"ferry_http_requests_total{route="manifest",status="200",upstream="docker.io"} 1"#), "\(text)")
                #expect(text.contains(#"ferry_http_requests_total{route="blob",status="200",upstream="docker.io"} 2"#))
                #expect(text.contains(#"ferry_served_bytes_total{source="hit"} 5000"#))
                #expect(text.contains(#"ferry_served_bytes_total{source="miss"} 5019"#))  // the blob and the 19-byte manifest
                #expect(text.contains("ferry_cache_bytes \(Double(cache.inventory.totalBytes))"), "\(text)")
                #expect(text.contains("ferry_cache_blobs 1.0"))
            }
        }
    }
}
