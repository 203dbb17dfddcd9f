import Accounts
import Cache
import FerryServer
import FerryTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OCI
import Testing

/// The token service and the `/v2` guard over HTTP, with in-memory accounts.
@Suite struct TokenServiceHTTPTests {
    let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)

    init() {
        upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "latest")
    }

    func withApp(throttle: LoginThrottle = LoginThrottle(), _ test: @escaping @Sendable (any TestClientProtocol, RegistryTokenService) async throws -> Void) async throws {
        try await withApp(throttle: throttle) { client, tokens, _ in try await test(client, tokens) }
    }

    /// As above, with the application's clock (which stands still).
    func withApp(
        throttle: LoginThrottle = LoginThrottle(), _ test: @escaping @Sendable (any TestClientProtocol, RegistryTokenService, TestClock) async throws -> Void
    ) async throws {
        let harness = SubscriberHarness(upstreams: [upstream], throttle: throttle)
        try await harness.run { client, dependencies in
            try await test(client, dependencies.access!.tokens, harness.clock)
        }
    }

    static let basicAlice: HTTPFields = [.authorization: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString()]

    static func json(_ response: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]) ?? [:]
    }

    @Test func challengesNameTheRealmServiceAndScope() async throws {
        try await withApp { client, _ in
            try await client.execute(uri: "/v2/", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="https://mirror.test/token",service="mirror.test""#)
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="https://mirror.test/token",service="mirror.test",scope="repository:nginx:pull""#)
                let document = try? JSONDecoder().decode(OCIErrorResponse.self, from: Data(response.body.readableBytesView))
                #expect(document?.errors.first?.code == .unauthorized)
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get, headers: [.authorization: "Bearer garbage"]) { response in
                #expect(response.headers[.wwwAuthenticate]?.hasSuffix(#"error="invalid_token""#) == true)
            }
        }
    }

    @Test func loginWithoutScopeGetsAnEmptyGrantAndARefreshToken() async throws {
        try await withApp { client, tokens in
            try await client.execute(uri: "/token?account=alice&client_id=docker&offline_token=true&service=mirror.test", method: .get, headers: Self.basicAlice) { response in
                #expect(response.status == .ok)
                let json = Self.json(response)
                #expect(json["expires_in"] as? Int == 300)
                #expect(json["issued_at"] is String)
                #expect((json["refresh_token"] as? String)?.hasPrefix("ferry_rt_") == true)
                let token = try #require(json["token"] as? String)
                #expect(json["access_token"] as? String == token)
                #expect(try await tokens.verify(token, now: Date()).access == [])
            }
            try await client.execute(uri: "/token?service=mirror.test&scope=repository:nginx:pull,push&scope=repository:library/redis:pull", method: .get, headers: Self.basicAlice) { response in
                let json = Self.json(response)
                #expect(json["refresh_token"] == nil)
                let claims = try await tokens.verify(try #require(json["token"] as? String), now: Date())
                #expect(claims.access.map(\.name) == ["nginx", "library/redis"])
                #expect(claims.access.allSatisfy { $0.actions == ["pull"] })
            }
        }
    }

    @Test func aTokenPullsTheRepositoryItNames() async throws {
        try await withApp { client, tokens, clock in
            // Issued on the application's clock: on a busy machine the wall clock moves
            // past the token's leeway before the request is checked.
            let issued = try await tokens.issue(subject: "alice", userID: 1, credential: .password(epoch: 0), access: [.init(type: "repository", name: "nginx", actions: ["pull"])], now: clock.now)
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get, headers: [.authorization: "Bearer \(issued.token)"]) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/v2/library/nginx/manifests/latest", method: .get, headers: [.authorization: "Bearer \(issued.token)"]) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate]?.contains(#"error="insufficient_scope""#) == true)
            }
        }
    }

    @Test func badTokenRequestsGetClearErrors() async throws {
        try await withApp(throttle: LoginThrottle(maxFailures: 2, window: 600, baseLockout: 60, maxLockout: 600)) { client, _ in
            try await client.execute(uri: "/token?service=mirror.test", method: .get) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/token?service=other.test", method: .get, headers: Self.basicAlice) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/token?account=bob", method: .get, headers: Self.basicAlice) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "grant_type=magic")) {
                #expect($0.status == .methodNotAllowed)
            }
            let wrong: HTTPFields = [.authorization: "Basic " + Data("alice:wrong-password-1".utf8).base64EncodedString()]
            for _ in 0..<2 {
                try await client.execute(uri: "/token", method: .get, headers: wrong) { #expect($0.status == .unauthorized) }
            }
            try await client.execute(uri: "/token", method: .get, headers: Self.basicAlice) { response in
                #expect(response.status == .tooManyRequests)
                // 60 s from the last failure (less whatever a loaded machine took since).
                #expect((50...60).contains(response.headers[.retryAfter].flatMap { Int($0) } ?? 0))
            }
        }
    }

    @Test func passwordGrantOverPost() async throws {
        try await withApp { client, tokens in
            let form = "grant_type=password&username=alice&password=correct-horse-9&scope=repository%3Anginx%3Apull&client_id=containerd&access_type=offline"
            try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) { response in
                #expect(response.status == .ok)
                let json = Self.json(response)
                #expect(json["refresh_token"] is String)
                let claims = try await tokens.verify(try #require(json["access_token"] as? String), now: Date())
                #expect(claims.allows("pull", repository: "nginx"))
            }
        }
    }
}
