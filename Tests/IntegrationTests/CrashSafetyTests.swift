import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `kill -9` of the real `ferry serve` binary in the middle of a download never leaves
/// a partial blob visible, and the leftover temporary file is removed at start-up.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct CrashSafetyTests {
    static var binary: String {
        if let path = ProcessInfo.processInfo.environment["FERRY_BINARY"] { return path }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/ferry").path
    }

    /// Starts `ferry serve` (open mode) on `port` with the cache in `dataDirectory`.
    func startFerry(port: Int, dataDirectory: String, upstream: String) async throws -> Process {
        #expect(FileManager.default.isExecutableFile(atPath: Self.binary), "build the ferry binary first (swift build): \(Self.binary)")
        return try await FerryProcess.serve(port: port, dataDirectory: dataDirectory, upstream: upstream, environment: ["FERRY_ACCESS_MODE": "open"])
    }

    @Test func killDuringDownloadLeavesNothingVisibleAndRestartCleansUp() async throws {
        let environment = try TestEnvironment.require()
        let layer = try #require(try environment.layoutLayers("big").first)
        let hex = String(layer.digest.dropFirst("sha256:".count))
        let dataDirectory = temporaryDirectory("crash")
        let committedPath = "\(dataDirectory)/blobs/sha256/\(hex.prefix(2))/\(hex)"
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.throttle(bytesPerSecond: 8 << 20)
        try await proxy.run { proxyPort in
            let upstream = "http://127.0.0.1:\(proxyPort)"
            let port = reserveFreePort()
            let ferry = try await startFerry(port: port, dataDirectory: dataDirectory, upstream: upstream)
            defer { if ferry.isRunning { kill(ferry.processIdentifier, SIGKILL) } }

            let response = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/ferry/big/blobs/\(layer.digest)"), timeout: .seconds(30)
            )
            #expect(response.status == .ok)
            var received = 0
            do {
                for try await chunk in response.body {
                    received += chunk.readableBytes
                    if received >= 4 << 20, ferry.isRunning {
                        kill(ferry.processIdentifier, SIGKILL)
                    }
                }
            } catch {
                // The connection dies with the server: expected.
            }
            await ferry.exit()
            #expect(received < layer.size)
            #expect(!FileManager.default.fileExists(atPath: committedPath))
            let leftovers = try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/tmp")
            #expect(leftovers.contains { $0.hasSuffix(".partial") }, "the killed download's temporary file should still be there")

            proxy.throttle(bytesPerSecond: nil)
            let restarted = try await startFerry(port: port, dataDirectory: dataDirectory, upstream: upstream)
            defer { if restarted.isRunning { kill(restarted.processIdentifier, SIGKILL) } }
            #expect(try FileManager.default.contentsOfDirectory(atPath: dataDirectory + "/tmp").isEmpty)

            let again = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/ferry/big/blobs/\(layer.digest)"), timeout: .seconds(30)
            )
            var hasher = SHA256()
            for try await chunk in again.body {
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            #expect("sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined() == layer.digest)
            // The client has every (verified) byte before the fsync and rename finish.
            let deadline = ContinuousClock.now + .seconds(10)
            while !FileManager.default.fileExists(atPath: committedPath), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            let committed = try #require(FileManager.default.contents(atPath: committedPath))
            #expect("sha256:" + sha256Hex(committed) == layer.digest)
            kill(restarted.processIdentifier, SIGTERM)
            await restarted.exit()
            #expect(restarted.terminationStatus == 0, "SIGTERM should shut down cleanly")
        }
    }
}
