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

/// Bearer tokens end with the credential they were minted with (security review F3,
/// F4, F11), and malformed logins get 400 (F7), over HTTP with in-memory accounts.
@Suite struct CredentialRevocationHTTPTests {
    let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)
    let harness: SubscriberHarness

    init() {
        upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "latest")
        harness = SubscriberHarness(upstreams: [upstream])
    }

    /// Runs `test` with the accounts behind the application and its clock.
    func withApp(_ test: @escaping @Sendable (any TestClientProtocol, AccountService, TestClock) async throws -> Void) async throws {
        let clock = harness.clock
        try await harness.run { client, dependencies in try await test(client, dependencies.accounts, clock) }
    }

    /// How long a credential's standing is remembered (the README's "within 5 seconds").
    static let statusLifetime: TimeInterval = 5

    static func basic(_ user: String, _ secret: String) -> HTTPFields {
        [.authorization: "Basic " + Data("\(user):\(secret)".utf8).base64EncodedString()]
    }

    static func bearer(_ client: any TestClientProtocol, _ headers: HTTPFields, query: String = "scope=repository:nginx:pull") async throws -> String {
        try await client.execute(uri: "/token?\(query)", method: .get, headers: headers) { response in
            #expect(response.status == .ok)
            let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
            return try #require(json?["token"] as? String)
        }
    }

    static func pullStatus(_ client: any TestClientProtocol, _ token: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get, headers: [.authorization: "Bearer \(token)"]) { $0.status }
    }

    /// Review D4: the standing is cached for 5 seconds in production, and the bound is
    /// what this pins: still served 4 seconds after the revocation, refused at 5.
    @Test func revokingAnAccessTokenEndsItsBearerTokensWithinFiveSeconds() async throws {
        try await withApp { client, accounts, clock in
            let (pat, secret) = try await accounts.createAccessToken("alice", name: "ci", lifetime: nil)
            let bearer = try await Self.bearer(client, Self.basic("alice", secret))
            #expect(try await Self.pullStatus(client, bearer) == .ok)
            try await accounts.revokeAccessToken(id: pat.id)
            clock.advance(by: Self.statusLifetime - 1)
            #expect(try await Self.pullStatus(client, bearer) == .ok)  // the documented staleness
            clock.advance(by: 1)
            #expect(try await Self.pullStatus(client, bearer) == .unauthorized)
        }
    }

    @Test func passwordChangeEndsCachedLoginsRefreshTokensAndBearerTokens() async throws {
        try await withApp { client, accounts, clock in
            let bearer = try await Self.bearer(client, Self.basic("alice", "correct-horse-9"))
            let refresh = try await client.execute(uri: "/token?offline_token=true&client_id=docker", method: .get, headers: Self.basic("alice", "correct-horse-9")) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["refresh_token"] as? String)
            }
            try await accounts.setPassword("alice", password: "brand-new-pass-5")
            try await client.execute(uri: "/token?offline_token=true&client_id=x", method: .get, headers: Self.basic("alice", "correct-horse-9")) {
                #expect($0.status == .unauthorized)  // at once: the cached login compares the password hash
            }
            clock.advance(by: Self.statusLifetime)
            #expect(try await Self.pullStatus(client, bearer) == .unauthorized)
            let form = "grant_type=refresh_token&refresh_token=\(refresh)&service=mirror.test&scope=repository%3Anginx%3Apull"
            try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) {
                #expect($0.status == .unauthorized)
            }
            let fresh = try await Self.bearer(client, Self.basic("alice", "brand-new-pass-5"))
            #expect(try await Self.pullStatus(client, fresh) == .ok)
        }
    }

    @Test func refreshGrantsKeepTheStoredTokenAndEndWithIt() async throws {
        try await withApp { client, accounts, clock in
            let refresh = try await client.execute(uri: "/token?offline_token=true&client_id=docker", method: .get, headers: Self.basic("alice", "correct-horse-9")) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["refresh_token"] as? String)
            }
            let form = "grant_type=refresh_token&refresh_token=\(refresh)&service=mirror.test&scope=repository%3Anginx%3Apull"
            var bearer = ""
            for _ in 0..<3 {  // docker sends the same stored token every time
                bearer = try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) { response in
                    #expect(response.status == .ok)
                    let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                    #expect(json?["refresh_token"] == nil)
                    return try #require(json?["access_token"] as? String)
                }
            }
            #expect(try await Self.pullStatus(client, bearer) == .ok)
            let stored = try #require(try await accounts.refreshTokens("alice").first)
            #expect(stored.useCount == 3)
            try await accounts.revokeRefreshToken(id: stored.id)
            clock.advance(by: Self.statusLifetime)
            #expect(try await Self.pullStatus(client, bearer) == .unauthorized)
        }
    }

    /// Review S1: a docker login made with an access token (docker stores the refresh
    /// token and never sends the token again) ends when the token is revoked, and so do
    /// the bearer tokens minted from that login, within 5 seconds.
    @Test func revokingAnAccessTokenEndsTheDockerLoginsMadeWithIt() async throws {
        try await withApp { client, accounts, clock in
            let (pat, secret) = try await accounts.createAccessToken("alice", name: "laptop", lifetime: nil)
            let refresh = try await client.execute(uri: "/token?offline_token=true&client_id=docker", method: .get, headers: Self.basic("alice", secret)) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["refresh_token"] as? String)
            }
            let form = "grant_type=refresh_token&refresh_token=\(refresh)&service=mirror.test&scope=repository%3Anginx%3Apull"
            let bearer = try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["token"] as? String)
            }
            #expect(try await Self.pullStatus(client, bearer) == .ok)
            #expect(try await accounts.refreshTokens("alice").first?.accessTokenID == pat.id)
            try await accounts.revokeAccessToken(id: pat.id, ownedBy: try await accounts.user("alice"))
            try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) {
                #expect($0.status == .unauthorized)  // before the fix: 200, for 90 days after its last use
            }
            #expect(try await accounts.refreshTokens("alice").first?.revokedAt != nil, "revoked with the token, in the same transaction")
            clock.advance(by: Self.statusLifetime)
            #expect(try await Self.pullStatus(client, bearer) == .unauthorized)
        }
    }

    /// Review S1: an access token that expires takes its docker logins with it, and a
    /// bearer token minted from such a login is checked against the access token too.
    @Test func anExpiredAccessTokenEndsItsDockerLoginsAndTheirBearerTokens() async throws {
        try await withApp { client, accounts, clock in
            let (_, secret) = try await accounts.createAccessToken("alice", name: "ci", lifetime: 3600)
            let refresh = try await client.execute(uri: "/token?offline_token=true&client_id=docker", method: .get, headers: Self.basic("alice", secret)) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["refresh_token"] as? String)
            }
            let form = "grant_type=refresh_token&refresh_token=\(refresh)&service=mirror.test&scope=repository%3Anginx%3Apull"
            clock.advance(by: 3000)
            let bearer = try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["token"] as? String)
            }
            clock.advance(by: 601)
            #expect(try await Self.pullStatus(client, bearer) == .unauthorized)
            try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) {
                #expect($0.status == .unauthorized)
            }
        }
    }

    @Test func aRecreatedUsernameInheritsNoTokens() async throws {
        try await withApp { client, accounts, clock in
            let bearer = try await Self.bearer(client, Self.basic("alice", "correct-horse-9"))
            try await accounts.deleteUser("alice")
            _ = try await accounts.createUser(username: "alice", email: nil, password: "another-pass-77")
            clock.advance(by: Self.statusLifetime)
            #expect(try await Self.pullStatus(client, bearer) == .unauthorized)
        }
    }

    @Test func malformedUsernamesGet400() async throws {
        try await withApp { client, _, _ in
            try await client.execute(uri: "/token", method: .get, headers: Self.basic(String(repeating: "a", count: 300), "x")) { response in
                #expect(response.status == .badRequest)
                let document = try? JSONDecoder().decode(OCIErrorResponse.self, from: Data(response.body.readableBytesView))
                #expect(document?.errors.first?.code == .unauthorized)
            }
            try await client.execute(uri: "/token", method: .get, headers: Self.basic("al\u{7}ice", "x")) { #expect($0.status == .badRequest) }
            let form = "grant_type=password&username=al%0Aice&password=x"
            try await client.execute(uri: "/token", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: form)) {
                #expect($0.status == .badRequest)
            }
        }
        #expect(harness.users.credentialLookups == 0)
    }
}
