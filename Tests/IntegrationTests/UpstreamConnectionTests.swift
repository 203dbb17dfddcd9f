import AsyncHTTPClient
import Crypto
import FerryTestSupport
import Foundation
import NIOCore
import NIOPosix
import Testing

/// The cache review's upstream findings against the real CNCF registry (plain HTTP, so
/// HTTP/1.1: one connection per concurrent download).
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct UpstreamConnectionTests {
    /// Pushes `count` distinct blobs of `size` bytes to the test registry (POST, then one
    /// PUT) and returns their digests.
    static func pushBlobs(count: Int, size: Int, repository: String, seed: UInt64) async throws -> [(digest: String, bytes: [UInt8])] {
        let environment = try TestEnvironment.require()
        var blobs: [(String, [UInt8])] = []
        for index in 0..<count {
            let bytes = seededBytes(count: size, seed: seed &+ UInt64(index))
            let digest = "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
            let base = environment.upstream.absoluteString
            var start = HTTPClientRequest(url: "\(base)/v2/\(repository)/blobs/uploads/")
            start.method = .POST
            let started = try await HTTPClient.shared.execute(start, timeout: .seconds(30))
            _ = try await started.body.collect(upTo: 1 << 20)
            let location = try #require(started.headers.first(name: "Location"))
            let url = (location.hasPrefix("http") ? location : base + location) + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
            var put = HTTPClientRequest(url: url)
            put.method = .PUT
            put.headers.add(name: "Content-Type", value: "application/octet-stream")
            put.body = .bytes(ByteBuffer(bytes: bytes))
            let response = try await HTTPClient.shared.execute(put, timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .created, "upload of blob \(index): \(response.status)")
            blobs.append((digest, bytes))
        }
        return blobs
    }

    /// Review #1: 12 concurrent cold downloads from a slow HTTP/1.1 upstream all succeed
    /// (AsyncHTTPClient's default pool queued the 9th and failed it after the connect timeout).
    @Test func twelveConcurrentColdBlobsFromASlowUpstreamAllSucceed() async throws {
        let environment = try TestEnvironment.require()
        let blobs = try await Self.pushBlobs(count: 12, size: 1 << 20, repository: "ferry/load", seed: 9000)
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.throttle(bytesPerSecond: 256 << 10)  // each download takes about 4 s
        let client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 32))
        )
        try await proxy.run { port in
            try await withFerry(upstreams: [testUpstream(id: "local", registry: "registry.test", url: "http://127.0.0.1:\(port)")], defaultID: "local") { ferry in
                let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
                    for (digest, bytes) in blobs {
                        group.addTask {
                            let response = try await client.execute(HTTPClientRequest(url: "\(ferry.url)/v2/ferry/load/blobs/\(digest)"), timeout: .seconds(60))
                            let body = try await response.body.collect(upTo: 2 << 20)
                            return (Int(response.status.code), Array(body.readableBytesView) == bytes)
                        }
                    }
                    return try await group.reduce(into: [(Int, Bool)]()) { $0.append($1) }
                }
                #expect(results.map(\.0) == Array(repeating: 200, count: 12))
                #expect(results.allSatisfy { $0.1 })
            }
        }
        try await client.shutdown()
    }

    /// Review #10: a HEAD whose upstream answer has no Content-Length still reports the
    /// blob's real size (from a one-byte ranged GET), never "0 bytes".
    @Test func headOfABlobOfUnknownSizeAnswersTheUpstreamsSize() async throws {
        let environment = try TestEnvironment.require()
        let blobs = try await Self.pushBlobs(count: 1, size: 300_000, repository: "ferry/sized", seed: 9100)
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.hideBlobSizes(true)
        try await proxy.run { port in
            try await withFerry(upstreams: [testUpstream(id: "local", registry: "registry.test", url: "http://127.0.0.1:\(port)")], defaultID: "local") { ferry in
                var request = HTTPClientRequest(url: "\(ferry.url)/v2/ferry/sized/blobs/\(blobs[0].digest)")
                request.method = .HEAD
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                #expect(response.status == .ok)
                #expect(response.headers.first(name: "Content-Length") == "300000")
            }
        }
    }
}
