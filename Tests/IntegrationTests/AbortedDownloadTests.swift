import AsyncHTTPClient
import Billing
import FerryTestSupport
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Review H1 end to end: a client that leaves (TCP reset, or an HTTP/2 stream reset)
/// while Ferry waits on a slow upstream for an uncached blob gives its download slot
/// back, on a plan that allows one download at a time.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct AbortedDownloadTests {
    static let onePlan = Plan(
        name: "one", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 600,
        manifestPullsPerWindow: 100, manifestWindowSeconds: 3600, maxConcurrentDownloads: 1, maxClientAddressesPerDay: 3
    )

    /// Waits (polling the in-process proxy, with a deadline) until `condition` holds.
    static func wait(until condition: () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(15)
        while !condition() {
            guard ContinuousClock.now < deadline else { throw TimedOut() }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    struct TimedOut: Error {}

    /// Status of GETs of `status()` repeated while they answer 429, for up to 10 s.
    static func statusOnceNotBusy(_ status: () async throws -> Int) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(10)
        var last = 0
        while ContinuousClock.now < deadline {
            last = try await status()
            if last != 429 { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        return last
    }

    @Test func aConnectionResetWhileTheUpstreamIsSlowFreesTheSlot() async throws {
        let environment = try TestEnvironment.require()
        let layers = try environment.layoutLayers("small")
        let (first, second) = (layers[0].digest, layers[1].digest)
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.delayBlobAnswers(by: .seconds(2))
        try await proxy.run { proxyPort in
            try await withSubscriberFerry(billing: true, upstream: "http://127.0.0.1:\(proxyPort)") { subscriber in
                _ = try await subscriber.billing!.addPlan(Self.onePlan)
                let alice = try await subscriber.addSubscriber("alice", plan: "one")
                let token = try await subscriber.bearerToken("alice", repositories: ["ferry/small"])

                let connection = try RawHTTPConnection(port: subscriber.ferry.port)
                try connection.send("GET /v2/ferry/small/blobs/\(first) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n")
                // Ferry now waits on the upstream for the head; the client gives up with a reset.
                try await Self.wait { proxy.blobGets(first) == 1 }
                connection.reset()
                proxy.delayBlobAnswers(by: nil)
                try await Self.wait { proxy.delayedAnswers == 1 }

                let status = try await Self.statusOnceNotBusy {
                    Int(try await subscriber.send(.GET, "/v2/ferry/small/blobs/\(second)", token: token).response.status.code)
                }
                #expect(status == 200, "the reset download's slot was never given back")

                // Both requests were metered, the aborted one with no bytes (as a blob
                // pull, or as a plain request when a loaded machine let the upstream
                // wait time out first).
                try await subscriber.meter!.flushEverything()
                let row = try await subscriber.psql("SELECT SUM(requests), SUM(bytes_served) FROM usage_daily WHERE user_id = \(alice.id)")
                #expect(row == "2|\(layers[1].size)", "\(row)")
            }
        }
    }

    /// Over TLS with HTTP/2 (`ferry serve` with `tls.*`): the client cancels the stream
    /// with RST_STREAM and keeps the connection, as dockerd does when a pull is stopped.
    @Test func anHTTP2StreamResetWhileTheUpstreamIsSlowFreesTheSlot() async throws {
        let environment = try TestEnvironment.require()
        let layers = try environment.layoutLayers("small")
        let (first, second) = (layers[0].digest, layers[1].digest)
        let directory = temporaryDirectory("h2-reset")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = try await TLSTests().makeCertificate(in: directory)
        let database = try await environment.makeDatabase()
        func ferry(_ arguments: [String], input: String? = nil) async throws -> ProcessResult {
            try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database], input: input)
        }
        #expect(try await ferry(["migrate"]).succeeded)
        #expect(try await ferry(["user", "add", "alice", "--password-stdin"], input: "correct-horse-9").succeeded)
        #expect(try await ferry(["plan", "add", "one", "--price", "1.00", "--currency", "CNY", "--quota", "1GiB", "--concurrency", "1"]).succeeded)
        #expect(try await ferry(["subscription", "start", "alice", "--plan", "one"]).succeeded)

        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.delayBlobAnswers(by: .seconds(3))
        try await proxy.run { proxyPort in
            let port = reserveFreePort()
            let server = Process()
            server.executableURL = URL(fileURLWithPath: CrashSafetyTests.binary)
            server.arguments = ["serve", "--port", String(port), "--data-dir", directory + "/data"]
            server.environment = ProcessInfo.processInfo.environment.merging([
                "FERRY_DATABASE_URL": database, "FERRY_TLS_CERTIFICATE_FILE": directory + "/cert.pem", "FERRY_TLS_KEY_FILE": directory + "/key.pem",
                "FERRY_UPSTREAMS": "local", "FERRY_UPSTREAM_LOCAL_REGISTRY": "registry.test",
                "FERRY_UPSTREAM_LOCAL_URL": "http://127.0.0.1:\(proxyPort)", "FERRY_LOG_LEVEL": "warning",
            ]) { $1 }
            server.standardOutput = FileHandle.nullDevice
            server.standardError = FileHandle.nullDevice
            try server.run()
            defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
            let base = "https://127.0.0.1:\(port)"
            func curl(_ arguments: [String]) async throws -> ProcessResult {
                try await ProcessRunner.run("/usr/bin/curl", ["-s", "-k", "--http2"] + arguments)
            }
            var ready = ""
            for _ in 0..<200 where ready != "2 200" {
                ready = try await curl(["-o", "/dev/null", "-w", "%{http_version} %{http_code}", "\(base)/healthz"]).output
                if ready != "2 200" { try await Task.sleep(for: .milliseconds(50)) }
            }
            #expect(ready == "2 200")
            let tokenJSON = try await curl(["-u", "alice:correct-horse-9", "\(base)/token?service=127.0.0.1:\(port)&scope=repository:ferry/small:pull"]).output
            let token = try #require((try JSONSerialization.jsonObject(with: Data(tokenJSON.utf8)) as? [String: Any])?["token"] as? String, "\(tokenJSON)")

            let client = try HTTP2StreamResetClient(port: port, path: "/v2/ferry/small/blobs/\(first)", token: token)
            try await Self.wait { proxy.blobGets(first) == 1 }
            client.resetStream()
            proxy.delayBlobAnswers(by: nil)
            try await Self.wait { proxy.delayedAnswers == 1 }

            let status = try await Self.statusOnceNotBusy {
                Int(try await curl(["-o", "/dev/null", "-w", "%{http_code}", "-H", "Authorization: Bearer \(token)", "\(base)/v2/ferry/small/blobs/\(second)"]).output) ?? 0
            }
            #expect(status == 200, "the reset HTTP/2 stream's slot was never given back")
            #expect(await client.finish() == "no-headers")
        }
    }

    /// Issue 16 (review S3), end to end: a client that hangs up after the head of an
    /// uncached 64 MiB blob makes Ferry stop fetching it within about a chunk, instead of
    /// downloading and caching the whole blob for nobody (metered as nothing).
    @Test func aGetDroppedAfterTheHeadStopsTheUpstreamDownload() async throws {
        let environment = try TestEnvironment.require()
        let big = try #require(try environment.layoutLayers("big").first)
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.throttle(bytesPerSecond: 8 << 20)
        try await proxy.run { proxyPort in
            try await withSubscriberFerry(billing: true, upstream: "http://127.0.0.1:\(proxyPort)") { subscriber in
                try await subscriber.addSubscriber("alice", plan: "pro")
                let token = try await subscriber.bearerToken("alice", repositories: ["ferry/big"])
                let connection = try RawHTTPConnection(port: subscriber.ferry.port)
                try connection.send("GET /v2/ferry/big/blobs/\(big.digest) HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(token)\r\n\r\n")
                let (head, _) = try connection.receiveHead()
                #expect(head.hasPrefix("HTTP/1.1 200"), "\(head)")
                connection.reset()
                // At 8 MiB/s the whole blob would take 8 s; give the download 3 s to stop.
                try await Task.sleep(for: .seconds(3))
                let fetched = proxy.blobBytesSent
                try await Task.sleep(for: .seconds(1))
                #expect(proxy.blobBytesSent == fetched, "the upstream download went on after every client left")
                #expect(fetched <= 4 << 20, "\(fetched) bytes fetched for a client that left after the head")
                let cached = "\(subscriber.ferry.dataDirectory)/blobs/sha256/\(big.digest.dropFirst(7).prefix(2))/\(big.digest.dropFirst(7))"
                #expect(!FileManager.default.fileExists(atPath: cached))
            }
        }
    }
}
