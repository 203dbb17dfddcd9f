import Accounts
import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

/// Subscribers mode against real PostgreSQL, the real CNCF registry, the docker CLI
/// (client-side login) and skopeo.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct SubscriberAuthTests {
    func dockerLogin(_ host: String, user: String, secret: String, config: String) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/env", ["docker", "login", host, "-u", user, "--password-stdin"], environment: ["DOCKER_CONFIG": config], input: secret + "\n")
    }

    func get(_ url: String, bearer: String? = nil, basic: (String, String)? = nil, headers: [(String, String)] = []) async throws -> (status: Int, headers: [(String, String)], body: String) {
        var request = HTTPClientRequest(url: url)
        if let bearer { request.headers.add(name: "Authorization", value: "Bearer \(bearer)") }
        if let basic { request.headers.add(name: "Authorization", value: "Basic " + Data("\(basic.0):\(basic.1)".utf8).base64EncodedString()) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 4 << 20)
        return (Int(response.status.code), response.headers.map { ($0.name, $0.value) }, String(buffer: body))
    }

    func post(_ url: String, form: [String: String]) async throws -> (status: Int, json: [String: Any]) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        let data = try await response.body.collect(upTo: 1 << 20)
        let json = (try? JSONSerialization.jsonObject(with: Data(data.readableBytesView)) as? [String: Any]) ?? [:]
        return (Int(response.status.code), json)
    }

    func token(_ subscriber: SubscriberFerry, user: String = "alice", password: String = "correct-horse-9", scope: String) async throws -> String {
        let service = subscriber.configuration.tokenService.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
        let answer = try await get("\(subscriber.ferry.url)/token?service=\(service)&scope=\(scope)", basic: (user, password))
        #expect(answer.status == 200, "\(answer.body)")
        let json = try JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: Any]
        return try #require(json?["token"] as? String)
    }

    static func header(_ name: String, in headers: [(String, String)]) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func dockerLoginWithPasswordsAndAccessTokens() async throws {
        try await withSubscriberFerry { subscriber in
            try await subscriber.addUser("alice")
            let config = temporaryDirectory("docker-config")
            let host = subscriber.ferry.address

            let good = try await dockerLogin(host, user: "alice", secret: "correct-horse-9", config: config)
            #expect(good.succeeded, "\(good.error)")
            #expect(good.output.contains("Login Succeeded"))
            let stored = try String(contentsOfFile: config + "/config.json", encoding: .utf8)
            #expect(stored.contains(host) && stored.contains("identitytoken"))

            let bad = try await dockerLogin(host, user: "alice", secret: "wrong-password-1", config: temporaryDirectory("docker-config"))
            #expect(bad.status == 1)
            #expect(bad.error.contains("invalid username or password"), "\(bad.error)")

            let (token, secret) = try await subscriber.accounts.createAccessToken("alice", name: "ci", lifetime: nil)
            let withToken = try await dockerLogin(host, user: "alice", secret: secret, config: temporaryDirectory("docker-config"))
            #expect(withToken.succeeded, "\(withToken.error)")
            try await subscriber.accounts.revokeAccessToken(id: token.id)
            let revoked = try await dockerLogin(host, user: "alice", secret: secret, config: temporaryDirectory("docker-config"))
            #expect(revoked.status == 1)

            _ = try await subscriber.accounts.setStatus("alice", .suspended)
            let suspended = try await dockerLogin(host, user: "alice", secret: "correct-horse-9", config: temporaryDirectory("docker-config"))
            #expect(suspended.status == 1)
            #expect(suspended.error.contains("suspended"), "\(suspended.error)")
        }
    }

    @Test func skopeoPullsWithCredentialsAndIsRefusedWithout() async throws {
        let environment = try TestEnvironment.require()
        try await withSubscriberFerry { subscriber in
            try await subscriber.addUser("alice")
            let directory = temporaryDirectory("sub-pull")
            let pulled = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: directory, credentials: "alice:correct-horse-9")
            #expect(pulled.succeeded, "\(pulled.error)")
            #expect(PulledImage(directory: directory).manifestDigest == (try environment.layoutManifestDigest("small")))
            let anonymous = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: temporaryDirectory("anon"))
            #expect(!anonymous.succeeded)
            #expect(anonymous.error.lowercased().contains("unauthorized") || anonymous.error.contains("401"), "\(anonymous.error)")
            let wrong = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: temporaryDirectory("wrong"), credentials: "alice:nope-nope-nope")
            #expect(!wrong.succeeded)
        }
    }

    @Test func tokensAreCheckedForScopeSignatureAudienceAndSuspension() async throws {
        try await withSubscriberFerry { subscriber in
            try await subscriber.addUser("alice")
            let base = subscriber.ferry.url
            let unauthenticated = try await get("\(base)/v2/ferry/small/manifests/v1")
            #expect(unauthenticated.status == 401)
            let challenge = try #require(Self.header("WWW-Authenticate", in: unauthenticated.headers))
            #expect(challenge == #"Bearer realm="\#(subscriber.configuration.realm)",service="\#(subscriber.configuration.tokenService)",scope="repository:ferry/small:pull""#)

            let token = try await token(subscriber, scope: "repository:ferry/small:pull,push")
            #expect(try await get("\(base)/v2/ferry/small/manifests/v1", bearer: token).status == 200)
            #expect(try await get("\(base)/v2/", bearer: token).status == 200)

            let otherRepository = try await get("\(base)/v2/ferry/multi/manifests/v1", bearer: token)
            #expect(otherRepository.status == 401)
            #expect(Self.header("WWW-Authenticate", in: otherRepository.headers)?.contains(#"error="insufficient_scope""#) == true)

            var tampered = Array(token)
            tampered[tampered.count - 5] = tampered[tampered.count - 5] == "A" ? "B" : "A"
            let forged = try await get("\(base)/v2/ferry/small/manifests/v1", bearer: String(tampered))
            #expect(forged.status == 401)
            #expect(Self.header("WWW-Authenticate", in: forged.headers)?.contains(#"error="invalid_token""#) == true)

            let foreign = RegistryTokenService(issuer: "ferry", service: "elsewhere.example", lifetime: 300)
            try await foreign.replaceKeys([try #require(subscriber.tokens.activeKey(at: Date()))])
            let wrongAudience = try await foreign.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [.init(type: "repository", name: "ferry/small", actions: ["pull"])], now: Date())
            #expect(try await get("\(base)/v2/ferry/small/manifests/v1", bearer: wrongAudience.token).status == 401)

            let expired = try await subscriber.tokens.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [.init(type: "repository", name: "ferry/small", actions: ["pull"])], now: Date().addingTimeInterval(-3600))
            #expect(try await get("\(base)/v2/ferry/small/manifests/v1", bearer: expired.token).status == 401)

            _ = try await subscriber.accounts.setStatus("alice", .suspended)
            #expect(try await get("\(base)/v2/ferry/small/manifests/v1", bearer: token).status == 401)
        }
    }

    @Test func oauthPasswordAndRefreshTokenFlows() async throws {
        try await withSubscriberFerry { subscriber in
            try await subscriber.addUser("alice")
            let base = subscriber.ferry.url
            let service = subscriber.configuration.tokenService
            let password = try await post("\(base)/token", form: [
                "grant_type": "password", "username": "alice", "password": "correct-horse-9",
                "scope": "repository:ferry/small:pull", "client_id": "containerd", "access_type": "offline", "service": service,
            ])
            #expect(password.status == 200)
            let access = try #require(password.json["access_token"] as? String)
            let refresh = try #require(password.json["refresh_token"] as? String)
            #expect(password.json["expires_in"] as? Int == 300)
            #expect(try await get("\(base)/v2/ferry/small/manifests/v1", bearer: access).status == 200)

            let refreshed = try await post("\(base)/token", form: [
                "grant_type": "refresh_token", "refresh_token": refresh, "scope": "repository:ferry/multi:pull", "client_id": "docker", "service": service,
            ])
            #expect(refreshed.status == 200)
            let newAccess = try #require(refreshed.json["token"] as? String)
            // Not rotated: the client keeps the token it stored, which stays valid.
            #expect(refreshed.json["refresh_token"] == nil)
            #expect(try await get("\(base)/v2/ferry/multi/manifests/v1", bearer: newAccess).status == 200)
            let again = try await post("\(base)/token", form: ["grant_type": "refresh_token", "refresh_token": refresh, "service": service])
            #expect(again.status == 200)

            let noOffline = try await post("\(base)/token", form: ["grant_type": "password", "username": "alice", "password": "correct-horse-9", "service": service])
            #expect(noOffline.status == 200 && noOffline.json["refresh_token"] == nil)
            #expect(try await post("\(base)/token", form: ["grant_type": "password", "username": "alice", "password": "bad-password-1"]).status == 401)
            #expect(try await post("\(base)/token", form: ["grant_type": "client_credentials"]).status == 405)

            try await subscriber.accounts.setPassword("alice", password: "another-horse-8")
            #expect(try await post("\(base)/token", form: ["grant_type": "refresh_token", "refresh_token": refresh]).status == 401)
            #expect(try await get("\(base)/v2/ferry/multi/manifests/v1", bearer: newAccess).status == 401)
        }
    }

    @Test func mirrorKeyHostsPullWithoutCredentialsUntilRevoked() async throws {
        try await withSubscriberFerry { subscriber in
            try await subscriber.addUser("alice")
            let (key, secret) = try await subscriber.accounts.createMirrorKey("alice")
            let port = subscriber.ferry.port
            func curl(_ label: String, _ path: String) async throws -> String {
                let host = "\(label).mirror.test"
                let result = try await ProcessRunner.run("/usr/bin/curl", [
                    "-s", "-o", "/dev/null", "-w", "%{http_code}", "--resolve", "\(host):\(port):127.0.0.1", "http://\(host):\(port)\(path)",
                ])
                return result.output
            }
            #expect(try await curl(secret, "/v2/") == "200")
            #expect(try await curl(secret, "/v2/ferry/small/manifests/v1") == "200")
            #expect(try await curl(SecretToken.makeMirrorKey(), "/v2/ferry/small/manifests/v1") == "401")
            // An upstream host name under the same domain is not a mirror key: it asks for a login.
            let upstreamHost = try await ProcessRunner.run("/usr/bin/curl", [
                "-s", "--resolve", "quay.mirror.test:\(port):127.0.0.1", "http://quay.mirror.test:\(port)/v2/ferry/small/manifests/v1",
            ])
            #expect(upstreamHost.output.contains("authentication required"), "\(upstreamHost.output)")
            try await subscriber.accounts.revokeMirrorKey(id: key.id)
            #expect(try await curl(secret, "/v2/ferry/small/manifests/v1") == "401")
        }
    }

    @Test func aStockCNCFRegistryAcceptsFerryTokens() async throws {
        let environment = try TestEnvironment.require()
        try await withSubscriberFerry { subscriber in
            try await subscriber.addUser("alice")
            let directory = temporaryDirectory("cncf")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let certificate = try #require(subscriber.tokens.activeKey(at: Date())).certificatePEM
            try certificate.write(toFile: directory + "/ferry.crt", atomically: true, encoding: .utf8)
            let port = reserveFreePort()
            try """
            version: 0.1
            log: {level: warn}
            storage: {filesystem: {rootdirectory: \(environment.root)/storage}}
            http: {addr: 127.0.0.1:\(port)}
            auth:
              token:
                realm: \(subscriber.configuration.realm)
                service: \(subscriber.configuration.tokenService)
                issuer: ferry
                rootcertbundle: \(directory)/ferry.crt
            """.write(toFile: directory + "/config.yml", atomically: true, encoding: .utf8)
            let registry = Process()
            registry.executableURL = URL(fileURLWithPath: "/usr/bin/docker-registry")
            registry.arguments = ["serve", directory + "/config.yml"]
            registry.standardOutput = FileHandle.nullDevice
            _ = FileManager.default.createFile(atPath: directory + "/registry.log", contents: nil)
            registry.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: directory + "/registry.log"))
            try registry.run()
            defer { registry.terminate() }
            for _ in 0..<100 {
                if (try? await get("http://127.0.0.1:\(port)/v2/"))?.status == 401 { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            let pulled = try await ProcessRunner.skopeoPull("127.0.0.1:\(port)/ferry/small:v1", to: temporaryDirectory("cncf-pull"), credentials: "alice:correct-horse-9")
            let log = (try? String(contentsOfFile: directory + "/registry.log", encoding: .utf8)) ?? ""
            #expect(pulled.succeeded, "skopeo: \(pulled.error)\nregistry: \(log.suffix(2000))")
        }
    }
}
