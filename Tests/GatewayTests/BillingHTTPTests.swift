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

    /// Review S2: a HEAD of an uncached tag made Ferry GET the manifest upstream (which
    /// Docker Hub counts against Ferry's allowance) while the subscriber's window showed
    /// every pull unused. Now it is answered with an upstream HEAD and caches nothing.
    @Test func aManifestHeadDoesNotBuyAnUpstreamGetForFree() async throws {
        for n in 1...10 {
            upstream.addManifest(Array(#"{"schemaVersion":2,"n":\#(n)}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "t\(n)")
        }
        try await withApp(plan: Self.plan(pulls: 2)) { client, meter in
            let bearer = try await Self.bearer(client)
            for n in 1...10 {
                try await client.execute(uri: "/v2/nginx/manifests/t\(n)", method: .head, headers: bearer) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == MediaType.dockerManifest)
                    #expect(response.headers[HTTPField.Name("Docker-Content-Digest")!]?.hasPrefix("sha256:") == true)
                }
            }
            #expect(upstream.counts.manifestGets == 0)  // before: 10, and every HEAD reported both pulls left
            #expect(upstream.counts.manifestHeads == 10)
            #expect(try await metered(meter) == UsageCounts(requests: 10))
        }
    }

    /// Review S2: a HEAD that only an upstream GET can answer (the client cannot take the
    /// index an uncached tag points to, so its platform's manifest must be read from the
    /// index) counts as a pull, and is refused when no pull is left.
    @Test func aManifestHeadThatNeedsAnUpstreamGetCountsAsAPull() async throws {
        let platform = upstream.addManifest(Array(#"{"schemaVersion":2,"amd64":true}"#.utf8), mediaType: MediaType.dockerManifest, repository: "library/multi")
        let index = #"{"schemaVersion":2,"mediaType":"\#(MediaType.dockerManifestList)","manifests":[{"mediaType":"\#(MediaType.dockerManifest)","digest":"\#(platform)","size":34,"platform":{"os":"linux","architecture":"amd64"}}]}"#
        upstream.addManifest(Array(index.utf8), mediaType: MediaType.dockerManifestList, repository: "library/multi", tag: "v1")
        let other = index.replacingOccurrences(of: #""schemaVersion":2"#, with: #""schemaVersion":2,"annotations":{"v":"2"}"#)
        upstream.addManifest(Array(other.utf8), mediaType: MediaType.dockerManifestList, repository: "library/multi", tag: "v2")
        try await withApp(plan: Self.plan(pulls: 1)) { client, meter in
            var headers = try await client.execute(uri: "/token?scope=repository:multi:pull", method: .get, headers: Self.basic) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return HTTPFields([HTTPField(name: .authorization, value: "Bearer \(try #require(json?["token"] as? String))")])
            }
            headers[.accept] = MediaType.dockerManifest
            try await client.execute(uri: "/v2/multi/manifests/v1", method: .head, headers: headers) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Docker-Content-Digest")!] == platform.description)
                #expect(response.headers[HTTPField.Name("ratelimit-remaining")!] == "0;w=21600")
            }
            try await client.execute(uri: "/v2/multi/manifests/v2", method: .head, headers: headers) { response in
                #expect(response.status == .tooManyRequests)
            }
            #expect(upstream.counts.manifestGets == 2)  // v1's index and its amd64 manifest: one pull
            #expect(try await metered(meter) == UsageCounts(requests: 1, manifestPulls: 1))
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

    /// Review S3 (issue 16): a 1-byte `Range` on a cold 8 MiB blob costs the upstream at
    /// most 1 MiB, and a client that hangs up after the head buys no more than a chunk.
    @Test func aOneByteRangeOrAnAbandonedGetDoesNotBuyTheWholeBlob() async throws {
        let digest = upstream.addBlob(seededBytes(count: 8 << 20, seed: 7))
        try await withApp(plan: Self.plan()) { client, meter in
            var headers = try await Self.bearer(client)
            headers[.range] = "bytes=0-0"
            try await client.execute(uri: "/v2/nginx/blobs/\(digest)", method: .get, headers: headers) { response in
                #expect(response.status == .partialContent)
                #expect(response.body.readableBytes == 1)
            }
            #expect(upstream.bytesSent <= 1 << 20, "\(upstream.bytesSent) upstream bytes for a 1-byte range")
            #expect(try await metered(meter).blobPulls == 1)
        }
    }
}
