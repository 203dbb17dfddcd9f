@testable import Accounts
import Billing
import FerryServer
import FerryTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import OCI
import Synchronization
import Testing

/// The token service against clients that cost more than they pay (review S10, S12):
/// unknown refresh tokens throttled per client, token requests counted against the
/// subscriber's request rate, and client ids stored without control characters.
@Suite struct TokenAbuseHTTPTests {
    let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)

    static let basic: HTTPFields = [.authorization: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString()]
    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    /// The password checks' global budget at the HTTP edge: with the pool full, a login
    /// that needs Argon2 gets 429 with Retry-After, while a cached login and an access
    /// token still get their bearer tokens.
    @Test func aFullPasswordPoolAnswers429WithRetryAfterAndOthersGoOn() async throws {
        let pool = PasswordHashingPool(coreBudget: 1, maximumQueued: 1, reservedForPriority: 0)
        var harness = SubscriberHarness(upstreams: [upstream])
        harness.hasher = Argon2PasswordHasher(parameters: SubscriberHarness.fastParameters, pool: pool)
        try await harness.run { client, dependencies in
            let (_, pat) = try await dependencies.accounts.createAccessToken("alice", name: "ci", lifetime: nil)
            try await client.execute(uri: "/token", method: .get, headers: Self.basic) { #expect($0.status == .ok) }
            let release = Mutex(false)
            let holder = Task { try await pool.run { while !release.withLock({ $0 }) { usleep(1000) } } }
            defer { release.withLock { $0 = true } }
            while pool.load == 0 { await Task.yield() }

            let wrong: HTTPFields = [.authorization: "Basic " + Data("alice:not-her-password".utf8).base64EncodedString()]
            try await client.execute(uri: "/token", method: .get, headers: wrong) { response in
                #expect(response.status == .tooManyRequests)
                #expect((Int(response.headers[.retryAfter] ?? "") ?? 0) >= 1, "\(response.headers)")
            }
            try await client.execute(uri: "/token", method: .get, headers: Self.basic) { #expect($0.status == .ok, "cached login") }
            let withToken: HTTPFields = [.authorization: "Basic " + Data("alice:\(pat)".utf8).base64EncodedString()]
            try await client.execute(uri: "/token", method: .get, headers: withToken) { #expect($0.status == .ok, "access token") }
            release.withLock { $0 = true }
            try await holder.value
        }
    }

    /// Review S10: every unknown refresh token cost a database write, unthrottled.
    @Test func unknownRefreshTokensAreThrottledPerClient() async throws {
        try await SubscriberHarness(upstreams: [upstream]).run { client, _ in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<60 {
                let form = "grant_type=refresh_token&refresh_token=ferry_rt_\(UUID().uuidString)"
                try await client.execute(uri: "/token", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: form)) { statuses.append($0.status) }
            }
            #expect(statuses.filter { $0 == .unauthorized }.count == 30)
            #expect(statuses.last == .tooManyRequests)  // before: 60 × 401, each one an UPDATE
        }
    }

    /// Review S10: `/token` was outside the request-rate bucket, though every
    /// `offline_token=true` writes a refresh token and prunes old ones.
    @Test func tokenRequestsTakeFromTheRequestRate() async throws {
        let plan = Plan(
            id: 1, name: "test", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 3,
            manifestPullsPerWindow: 100, manifestWindowSeconds: 21600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3
        )
        let harness = SubscriberHarness(upstreams: [upstream], billing: BillingBackend(standings: FixedStanding(plan: plan), usage: KeptBatches()))
        try await harness.run { client, dependencies in
            var statuses: [HTTPResponse.Status] = []
            for _ in 0..<4 {
                try await client.execute(uri: "/token?offline_token=true&client_id=docker", method: .get, headers: Self.basic) { statuses.append($0.status) }
            }
            #expect(statuses == [.ok, .ok, .ok, .tooManyRequests])
            #expect(try await dependencies.accounts.refreshTokens("alice").count == 3)
        }
    }

    /// Review S12: a `client_id` reaches the operator's `ferry token refresh list` and
    /// the subscriber's portal; escape sequences in it must not.
    @Test func clientIDsAreStoredWithoutControlCharacters() async throws {
        try await SubscriberHarness(upstreams: [upstream]).run { client, dependencies in
            try await client.execute(uri: "/token?offline_token=true&client_id=%1B%5B8mdocker%07", method: .get, headers: Self.basic) { #expect($0.status == .ok) }
            let form = "grant_type=password&username=alice&password=correct-horse-9&access_type=offline&client_id=ci%1B%5D0%3Btitle%07x"
            try await client.execute(uri: "/token", method: .post, headers: Self.formHeaders, body: ByteBuffer(string: form)) { #expect($0.status == .ok) }
            let stored = try await dependencies.accounts.refreshTokens("alice").map(\.clientID)
            #expect(stored.sorted() == ["[8mdocker", "ci]0;titlex"])
            #expect(stored.allSatisfy { !$0.unicodeScalars.contains { $0.properties.generalCategory == .control } })
        }
    }
}
