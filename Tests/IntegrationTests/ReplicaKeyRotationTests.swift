import AsyncHTTPClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Two `ferry serve` replicas on one PostgreSQL (issue 18, keys): `ferry keys rotate`
/// while one replica mints tokens and the other checks them. A new key verifies on
/// every replica before any signs with it, so no token is refused.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct ReplicaKeyRotationTests {
    func ferry(_ arguments: [String], database: String, input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database, "FERRY_TOKEN_KEY_RELOAD_INTERVAL": "2s"], input: input)
    }

    /// A bearer token from `port`'s token service, and the key id that signed it.
    func token(port: Int) async throws -> (token: String, kid: String) {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/token?service=mirror.test&scope=repository:ferry/small:pull")
        request.headers.add(name: "Authorization", value: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString())
        let body = try await HTTPClient.shared.execute(request, timeout: .seconds(30)).body.collect(upTo: 1 << 20)
        let token = try #require((try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])?["token"] as? String)
        var header = String(try #require(token.split(separator: ".").first)).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while header.count % 4 != 0 { header += "=" }
        let fields = try JSONSerialization.jsonObject(with: try #require(Data(base64Encoded: header))) as? [String: Any]
        return (token, try #require(fields?["kid"] as? String))
    }

    /// The status of a manifest GET on `port` with `token`.
    func pull(port: Int, token: String) async throws -> UInt {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/ferry/small/manifests/v1")
        request.headers.add(name: "Authorization", value: "Bearer \(token)")
        request.headers.add(name: "Accept", value: "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 1 << 20)
        return response.status.code
    }

    @Test func rotatingKeysWhileReplicasMintAndCheckRefusesNothing() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)
        #expect(try await ferry(["user", "add", "alice", "--password-stdin"], database: database, input: "correct-horse-9").succeeded)
        #expect(try await ferry(["subscription", "start", "alice", "--plan", "pro"], database: database).succeeded)
        let shared = ["FERRY_DATABASE_URL": database, "FERRY_TOKEN_KEY_RELOAD_INTERVAL": "2s", "FERRY_TOKEN_SERVICE": "mirror.test"]
        let (minting, checking) = (reserveFreePort(), reserveFreePort())
        let first = try await FerryProcess.serve(port: minting, dataDirectory: temporaryDirectory("replica-a"), upstream: environment.upstream.absoluteString, environment: shared)
        defer { if first.isRunning { kill(first.processIdentifier, SIGKILL) } }
        let second = try await FerryProcess.serve(port: checking, dataDirectory: temporaryDirectory("replica-b"), upstream: environment.upstream.absoluteString, environment: shared)
        defer { if second.isRunning { kill(second.processIdentifier, SIGKILL) } }
        let before = try await token(port: minting).kid
        #expect(try await pull(port: checking, token: try await token(port: minting).token) == 200)

        let rotated = try await ferry(["keys", "rotate"], database: database)
        #expect(rotated.succeeded && rotated.output.contains("signs with it from"), "\(rotated.output) \(rotated.error)")
        // 2.5 reloads of 2 s: the new key signs 5 s after the rotation; mint on one
        // replica and check on the other, as fast as they go, for 9 s.
        var statuses: [UInt: Int] = [:]
        var kids: Set<String> = []
        let end = ContinuousClock.now + .seconds(9)
        while ContinuousClock.now < end {
            let (token, kid) = try await token(port: minting)
            kids.insert(kid)
            statuses[try await pull(port: checking, token: token), default: 0] += 1
        }
        #expect(statuses.keys.sorted() == [200], "\(statuses)")  // before: 401 until the checking replica reloaded
        #expect(kids.count == 2 && kids.contains(before), "the new key took over during the run: \(kids)")
    }
}
