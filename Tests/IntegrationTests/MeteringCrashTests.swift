import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Metering across crashes and shutdowns, with the real `ferry serve` binary: a SIGKILL
/// loses at most one flush interval and never double-counts; SIGTERM flushes everything.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct MeteringCrashTests {
    let environment: TestEnvironment

    init() throws {
        environment = try TestEnvironment.require()
    }

    func ferry(_ arguments: [String], database: String, input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database], input: input)
    }

    func startServe(database: String, port: Int, upstream: String, flushInterval: String, dataDirectory: String) async throws -> Process {
        try await FerryProcess.serve(port: port, dataDirectory: dataDirectory, upstream: upstream, environment: [
            "FERRY_DATABASE_URL": database, "FERRY_USAGE_FLUSH_INTERVAL": flushInterval,
        ])
    }

    func token(port: Int) async throws -> String {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/token?service=127.0.0.1:\(port)&scope=repository:ferry/big:pull&scope=repository:ferry/small:pull")
        request.headers.add(name: "Authorization", value: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString())
        let body = try await HTTPClient.shared.execute(request, timeout: .seconds(60)).body.collect(upTo: 1 << 20)
        return try #require((try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["token"] as? String)
    }

    func served(_ database: String) async throws -> Int64 {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-tAc", "SELECT COALESCE(SUM(bytes_served), 0) FROM usage_daily"])
        return Int64(result.output.trimmingCharacters(in: .whitespacesAndNewlines)) ?? -1
    }

    func prepareDatabase() async throws -> String {
        let database = try await environment.makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)
        #expect(try await ferry(["user", "add", "alice", "--password-stdin"], database: database, input: "correct-horse-9").succeeded)
        #expect(try await ferry(["subscription", "start", "alice", "--plan", "pro"], database: database).succeeded)
        return database
    }

    @Test func aKilledServerLosesAtMostOneFlushIntervalAndNeverDoubleCounts() async throws {
        let big = try #require(try environment.layoutLayers("big").first)
        let database = try await prepareDatabase()
        let rate = 8 << 20
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.throttle(bytesPerSecond: rate)
        try await proxy.run { proxyPort in
            let port = reserveFreePort()
            let dataDirectory = temporaryDirectory("metering")
            let serve = try await startServe(database: database, port: port, upstream: "http://127.0.0.1:\(proxyPort)", flushInterval: "1s", dataDirectory: dataDirectory)
            defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/ferry/big/blobs/\(big.digest)")
            request.headers.add(name: "Authorization", value: "Bearer \(try await token(port: port))")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(120))
            #expect(response.status == .ok)
            var received = 0
            do {
                for try await chunk in response.body {
                    received += chunk.readableBytes
                    if received >= 24 << 20, serve.isRunning { kill(serve.processIdentifier, SIGKILL) }
                }
            } catch {}
            await serve.exit()
            let afterCrash = try await served(database)
            #expect(afterCrash <= Int64(received) + (6 << 20), "served \(afterCrash) > received \(received)")
            #expect(afterCrash >= Int64(received) - Int64(rate) - (6 << 20), "served \(afterCrash) lost more than a flush interval of \(received)")

            // A restart and a clean shutdown add nothing: no batch is applied twice.
            let restarted = try await startServe(database: database, port: port, upstream: "http://127.0.0.1:\(proxyPort)", flushInterval: "1s", dataDirectory: dataDirectory)
            kill(restarted.processIdentifier, SIGTERM)
            await restarted.exit()
            #expect(try await served(database) == afterCrash)
        }
    }

    @Test func aGracefulShutdownFlushesEverything() async throws {
        let small = try environment.layoutLayers("small")
        let database = try await prepareDatabase()
        let port = reserveFreePort()
        let serve = try await startServe(database: database, port: port, upstream: environment.upstream.absoluteString, flushInterval: "5m", dataDirectory: temporaryDirectory("graceful"))
        defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
        let token = try await token(port: port)
        var total = 0
        for layer in small {
            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/ferry/small/blobs/\(layer.digest)")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let body = try await HTTPClient.shared.execute(request, timeout: .seconds(30)).body.collect(upTo: 64 << 20)
            total += body.readableBytes
        }
        #expect(try await served(database) == 0)  // nothing flushed yet: the interval is five minutes
        kill(serve.processIdentifier, SIGTERM)
        await serve.exit()
        #expect(serve.terminationStatus == 0)
        #expect(try await served(database) == Int64(total))
    }
}
