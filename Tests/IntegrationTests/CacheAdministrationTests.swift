import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Cache review #17: `ferry cache stats|gc|purge` act through a running server (its
/// admin socket), so its inventory, leases and metrics stay right; without a server
/// they work on the directory under its lock; two servers never share one.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct CacheAdministrationTests {
    func ferry(_ arguments: [String]) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments)
    }

    func cacheBytesMetric(port: Int) async throws -> Int64? {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return text.split(separator: "\n").first { $0.hasPrefix("ferry_cache_bytes ") }.flatMap { Double($0.split(separator: " ")[1]) }.map { Int64($0) }
    }

    @Test func gcAndPurgeGoThroughTheRunningServer() async throws {
        let environment = try TestEnvironment.require()
        let layer = try #require(try environment.layoutLayers("small").first)
        let manifest = try environment.layoutManifestDigest("small")
        let dataDirectory = temporaryDirectory("admin")
        let port = reserveFreePort()
        let server = try await FerryProcess.serve(
            port: port, dataDirectory: dataDirectory, upstream: environment.upstream.absoluteString,
            environment: ["FERRY_ACCESS_MODE": "open", "FERRY_CACHE_MAX_SIZE": "10GiB"]
        )
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        for path in ["/v2/ferry/small/blobs/\(layer.digest)", "/v2/ferry/small/manifests/\(manifest)"] {
            let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)"), timeout: .seconds(30))
            _ = try await response.body.collect(upTo: 16 << 20)
            #expect(response.status == .ok)
        }
        // Manifests count against the budget too: the metric covers both files.
        let filled = try #require(try await cacheBytesMetric(port: port))
        #expect(filled > Int64(layer.size), "\(filled)")

        let stats = try await ferry(["cache", "stats", "--json", "--data-dir", dataDirectory])
        #expect(stats.succeeded, "\(stats.error)")
        #expect(stats.output.contains("\"bytes\" : \(filled)") && stats.output.contains("\"blobs\" : 1") && stats.output.contains("\"manifests\" : 1"), "\(stats.output)")

        let purge = try await ferry(["cache", "purge", manifest, "--data-dir", dataDirectory])
        #expect(purge.succeeded, "\(purge.error)")
        let missing = try await ferry(["cache", "purge", manifest, "--data-dir", dataDirectory])
        #expect(!missing.succeeded && missing.error.contains("not in the cache"), "\(missing.error)")
        #expect(try await cacheBytesMetric(port: port) == Int64(layer.size), "the server's own inventory saw the purge")

        let gc = try await ferry(["cache", "gc", "--to", "0", "--data-dir", dataDirectory])
        #expect(gc.succeeded && gc.output.contains("evicted 1 blobs"), "\(gc.output) \(gc.error)")
        #expect(try await cacheBytesMetric(port: port) == 0, "the server's own inventory saw the eviction")

        let second = try await ProcessRunner.run(CrashSafetyTests.binary, ["serve", "--port", String(reserveFreePort()), "--data-dir", dataDirectory], environment: ["FERRY_ACCESS_MODE": "open"])
        #expect(!second.succeeded && second.error.contains("in use by another ferry serve"), "\(second.error)")

        kill(server.processIdentifier, SIGTERM)
        await server.exit()
        let offline = try await ferry(["cache", "stats", "--json", "--data-dir", dataDirectory])
        #expect(offline.succeeded && offline.output.contains("\"bytes\" : 0"), "\(offline.output) \(offline.error)")
    }
}
