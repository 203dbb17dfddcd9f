import Accounts
import Billing
import Cache
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
    let users = InMemoryUserRepository()
    let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    let batches = KeptBatches()
    let meter: UsageMeter

    init() {
        upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "latest")
        meter = UsageMeter(sink: batches, calendar: BillingCalendar(timeZone: TimeZone(identifier: "UTC")!), logger: logger)
    }

    static func plan(rpm: Int = 600, pulls: Int = 100) -> Plan {
        Plan(
            id: 1, name: "test", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: rpm,
            manifestPullsPerWindow: pulls, manifestWindowSeconds: 21600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3
        )
    }

    func withApp(plan: Plan, periodEnd: CalendarDay? = nil, _ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let accounts = AccountService(users: users, hasher: hasher)
        _ = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let configuration = GatewayConfiguration(
            host: "127.0.0.1", port: 0, publicURL: URL(string: "https://mirror.test")!, trustedProxies: [try #require(IPNetwork("127.0.0.1"))]
        )
        let tokens = RegistryTokenService(issuer: "ferry", service: configuration.tokenService, lifetime: 300)
        try await tokens.replaceKeys([try SigningKey.generate(now: Date())])
        let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
        var standings = FixedStanding(plan: plan)
        if let periodEnd { standings.periodEnd = periodEnd }
        // The limits' clock stands still, so buckets do not refill however slowly a
        // loaded machine runs the test.
        let clock = TestClock(Date())
        let limits = SubscriberLimits(source: standings, meter: meter, calendar: calendar, graceDays: 3, now: { clock.now })
        let billing = GatewayBilling(limits: limits, meter: meter)
        let auth = GatewayAuth(
            tokens: tokens, authenticator: try Authenticator(users: users, hasher: hasher, logger: logger), accounts: accounts, billing: billing, statusLifetime: 0
        )
        let root = NSTemporaryDirectory() + "ferry-billing-http-\(UUID().uuidString)"
        let controller = RegistryController(
            directory: try UpstreamDirectory(upstreams: [upstream], defaultID: "docker"),
            manifests: PullThroughManifestCache(store: try FileSystemManifestStore(root: root), revalidationInterval: 300, logger: logger),
            blobs: PullThroughBlobCache(store: try FileSystemBlobStore(root: root), logger: logger)
        )
        let app = buildApplication(configuration: configuration, controller: controller, access: .subscribers(auth), logger: logger)
        try await app.test(.live) { client in try await test(client) }
    }

    static let basic: HTTPFields = [.authorization: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString()]

    static func bearer(_ client: any TestClientProtocol) async throws -> HTTPFields {
        try await client.execute(uri: "/token?scope=repository:nginx:pull", method: .get, headers: basic) { response in
            let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
            return [.authorization: "Bearer \(try #require(json?["token"] as? String))"]
        }
    }

    /// The counters metered so far (flushed now).
    func metered() async throws -> UsageCounts {
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
        try await withApp(plan: Self.plan(rpm: 5, pulls: 2)) { client in
            let bearer = try await Self.bearer(client)
            func headers(_ response: TestResponse) -> [String?] {
                [response.headers[HTTPField.Name("ratelimit-limit")!], response.headers[HTTPField.Name("ratelimit-remaining")!]]
            }
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .head, headers: bearer) { response in
                #expect(response.status == .ok)
                #expect(headers(response) == ["2;w=21600", "2;w=21600"])  // a HEAD is free
            }
            #expect(try await metered() == UsageCounts(requests: 1))  // and not a pull in the usage rows either

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
            // The request rate (5 a minute; 4 taken): one more, then a 429 with the headers too.
            try await client.execute(uri: "/v2/", method: .get, headers: bearer) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/", method: .get, headers: bearer) { response in
                #expect(response.status == .tooManyRequests)
                #expect(headers(response) == ["2;w=21600", "0;w=21600"])
            }
            // Metered: HEAD, the two admitted manifest GETs (the 404 too) and /v2/; refusals are not.
            #expect(try await metered() == UsageCounts(requests: 4, manifestPulls: 2))
        }
    }

    @Test func accountUsageTakesFromTheRequestRate() async throws {
        try await withApp(plan: Self.plan(rpm: 2)) { client in
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
        try await withApp(plan: Self.plan()) { client in
            let bearer = try await Self.bearer(client)
            for address in ["2001:db8:1:2::1", "2001:db8:1:2:aaaa:bbbb:cccc:dddd", "2001:db8:1:3::1", "203.0.113.9"] {
                var headers = bearer
                headers[HTTPField.Name("X-Forwarded-For")!] = address
                try await client.execute(uri: "/v2/", method: .get, headers: headers) { #expect($0.status == .ok) }
            }
            _ = try await metered()
            let addresses = Set(batches.all.flatMap(\.addresses).map(\.address))
            #expect(addresses.count == 3, "\(addresses)")
        }
    }

    /// Review M2: in grace days there is no reset date to show (the last window goes on
    /// until a renewal), rather than one in the past.
    @Test func accountUsageInGraceShowsNoPastResetDate() async throws {
        let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
        let yesterday = calendar.adding(days: -1, to: calendar.day(of: Date()))
        try await withApp(plan: Self.plan(), periodEnd: yesterday) { client in
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
