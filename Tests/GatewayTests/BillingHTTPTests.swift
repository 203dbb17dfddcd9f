import Accounts
import Billing
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

/// Plan enforcement over HTTP with in-memory accounts, standings and upstream: the
/// Docker-Hub-style headers (review M3), what is metered (M3, L10), `/account/usage`'s
/// rate limit (L11) and grace-day figures (M2), and distinct-address counting per
/// IPv6 /64 (L4).
@Suite struct BillingHTTPTests {
    let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)
    let batches = KeptBatches()

    init() {
        upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "latest")
    }

    static func plan(rpm: Int = 600, pulls: Int = 100) -> Plan {
        Plan(
            id: 1, name: "test", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: rpm,
            manifestPullsPerWindow: pulls, manifestWindowSeconds: 21600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3
        )
    }

    /// The application with alice on `plan`; the clock stands still, so buckets do not
    /// refill however slowly a loaded machine runs the test.
    func withApp(plan: Plan, periodEnd: CalendarDay? = nil, _ test: @escaping @Sendable (any TestClientProtocol, UsageMeter) async throws -> Void) async throws {
        var standings = FixedStanding(plan: plan)
        if let periodEnd { standings.periodEnd = periodEnd }
        let harness = SubscriberHarness(upstreams: [upstream], values: ["trusted-proxies": "127.0.0.1"], billing: BillingBackend(standings: standings, usage: batches))
        try await harness.run(.live) { client, dependencies in try await test(client, dependencies.billing!.meter) }
    }

    static let basic: HTTPFields = [.authorization: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString()]

    static func bearer(_ client: any TestClientProtocol) async throws -> HTTPFields {
        try await client.execute(uri: "/token?scope=repository:nginx:pull", method: .get, headers: basic) { response in
            let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
            return [.authorization: "Bearer \(try #require(json?["token"] as? String))"]
        }
    }

    /// The counters metered so far (flushed now).
    func metered(_ meter: UsageMeter) async throws -> UsageCounts {
        try await meter.flushEverything()
        var total = UsageCounts()
        for batch in batches.all {
            for counts in batch.rows.values {
                total.requests += counts.requests
                total.manifestPulls += counts.manifestPulls
                total.blobPulls += counts.blobPulls
            }
        }
        return total
    }

    @Test func everyManifestAnswerAndEvery429CarriesTheRateLimitHeaders() async throws {
        try await withApp(plan: Self.plan(rpm: 6, pulls: 2)) { client, meter in
            let bearer = try await Self.bearer(client)
            func headers(_ response: TestResponse) -> [String?] {
                [response.headers[HTTPField.Name("ratelimit-limit")!], response.headers[HTTPField.Name("ratelimit-remaining")!]]
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .head, headers: bearer) { response in
                #expect(response.status == .ok)
                #expect(headers(response) == ["2;w=21600", "2;w=21600"])  // a HEAD is free
            }
            #expect(try await metered(meter) == UsageCounts(requests: 1))  // and not a pull in the usage rows either

            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get, headers: bearer) { response in
                #expect(response.status == .ok)
                #expect(headers(response) == ["2;w=21600", "1;w=21600"])
            }
            try await client.execute(uri: "/v2/nginx/manifests/no-such-tag", method: .get, headers: bearer) { response in
                #expect(response.status == .notFound)
                #expect(headers(response) == ["2;w=21600", "0;w=21600"])  // a failed GET uses a pull too
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get, headers: bearer) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter].flatMap(Int.init).map { $0 > 21000 } == true)
                #expect(headers(response) == ["2;w=21600", "0;w=21600"])
            }
            // The request rate (6 a minute; 5 taken, the token request too): one more, then a 429 with the headers too.
            try await client.execute(uri: "/v2/", method: .get, headers: bearer) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/", method: .get, headers: bearer) { response in
                #expect(response.status == .tooManyRequests)
                #expect(headers(response) == ["2;w=21600", "0;w=21600"])
            }
            // Metered: HEAD, the two admitted manifest GETs (the 404 too) and /v2/; refusals are not.
            #expect(try await metered(meter) == UsageCounts(requests: 4, manifestPulls: 2))
        }
    }

    @Test func accountUsageTakesFromTheRequestRate() async throws {
        try await withApp(plan: Self.plan(rpm: 2)) { client, _ in
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<3 {
                try await client.execute(uri: "/account/usage", method: .get, headers: Self.basic) { response in
                    statuses.append(response.status)
                    retryAfter = response.headers[.retryAfter]
                }
            }
            #expect(statuses == [.ok, .ok, .tooManyRequests])
            #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
        }
    }

    @Test func addressesInOneIPv6Slash64CountOnce() async throws {
        try await withApp(plan: Self.plan()) { client, meter in
            let bearer = try await Self.bearer(client)
            for address in ["2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:3::1", "203.0.113.9"] {
                var headers = bearer
                headers[HTTPField.Name("X-Forwarded-For")!] = address
                try await client.execute(uri: "/v2/", method: .get, headers: headers) { #expect($0.status == .ok) }
            }
            _ = try await metered(meter)
            let addresses = Set(batches.all.flatMap(\.addresses).map(\.address))
            #expect(addresses.count == 3, "\(addresses)")
        }
    }

    /// Review M2: in grace days there is no reset date to show (the last window goes on
    /// until a renewal), rather than one in the past.
    @Test func accountUsageInGraceShowsNoPastResetDate() async throws {
        let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
        let yesterday = calendar.adding(days: -1, to: calendar.day(of: Date()))
        try await withApp(plan: Self.plan(), periodEnd: yesterday) { client, _ in
            try await client.execute(uri: "/account/usage", method: .get, headers: Self.basic) { response in
                #expect(response.status == .ok)
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect((json?["subscription"] as? [String: Any])?["status"] as? String == "past-due")
                let quota = try #require(json?["quota"] as? [String: Any])
                #expect(quota["resetsOn"] is NSNull)
                #expect(quota["windowStart"] as? String == calendar.adding(months: -1, to: yesterday, anchorDay: yesterday.day).description)
            }
        }
    }
}
