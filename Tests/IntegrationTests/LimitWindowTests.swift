import Billing
import FerryTestSupport
import Foundation
import Logging
import PostgresNIO
import Testing

import FerryServer

/// Request-rate buckets and manifest-pull windows kept in PostgreSQL (review L3): what
/// one server counted, the next one (a restart, a deploy) still counts.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct LimitWindowTests {
    @Test func pullsCountedByOneServerAreCountedByTheNext() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        try await withMigratedDatabase(database) { client in
            // Dates and times must not depend on the session's DateStyle (review L7).
            try await client.query(PostgresQuery(unsafeSQL: "ALTER DATABASE \(database.split(separator: "/").last!.split(separator: "?").first!) SET datestyle = 'German'"))
            let store = PostgresBillingStore(client: client, logger: quietLogger)
            let plan = try await store.save(Plan(
                name: "five", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 60,
                manifestPullsPerWindow: 5, manifestWindowSeconds: 3600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3
            ), audit: nil)
            var userID: Int64 = 0
            for try await id in try await client.query("INSERT INTO users (username, password_hash) VALUES ('alice', 'x') RETURNING id").decode(Int64.self) { userID = id }
            let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
            let clock = TestClock(Date(timeIntervalSince1970: 1_795_083_600))  // 2026-11-19 09:00 UTC
            try await store.save(Subscription.starting(userID: userID, planID: plan.id, on: calendar.day(of: clock.now), months: 1, calendar: calendar))
            func server() -> SubscriberLimits {
                let meter = UsageMeter(sink: store, calendar: calendar, logger: quietLogger, now: { clock.now })
                return SubscriberLimits(source: store, states: store, meter: meter, calendar: calendar, graceDays: 3, now: { clock.now })
            }

            let first = server()
            let standing = try await first.admit(userID: userID, username: "alice")
            for _ in 0..<3 {
                try first.admitRequest(standing)
                _ = try first.admitManifestPull(standing)
            }
            try await first.saveLimitState()
            clock.advance(by: 60)

            let second = server()
            let restarted = try await second.admit(userID: userID, username: "alice")
            #expect(second.manifestPullsRemaining(restarted) == 2)
            _ = try second.admitManifestPull(restarted)
            _ = try second.admitManifestPull(restarted)
            let refusal = #expect(throws: LimitRefusal.self) { _ = try second.admitManifestPull(restarted) }
            #expect(refusal?.reason == .manifestPulls)
            #expect(refusal?.retryAfter == 3600 - 60)
            let stored = try #require(try await store.limitState(userID: userID))
            #expect(stored.windowCount == 3 && stored.windowStart == Date(timeIntervalSince1970: 1_795_083_600))
            #expect(stored.bucketTokens == 57)

            // The quota lookup and usage rows work under that DateStyle too.
            let meter = UsageMeter(sink: store, calendar: calendar, logger: quietLogger, now: { clock.now })
            meter.recordBytes(userID: userID, upstream: "docker.io", repository: "library/nginx", bytes: 1234, fromCache: false)
            try await meter.flush()
            #expect(try await store.bytesServed(userID: userID, from: calendar.day(of: clock.now), to: calendar.adding(days: 1, to: calendar.day(of: clock.now))) == 1234)
        }
    }

    /// The gateway's flush service writes changed windows back every flush interval.
    @Test func theFlushServiceWritesWindowsBack() async throws {
        try await withSubscriberFerry(billing: true, flushInterval: .seconds(1)) { subscriber in
            let alice = try await subscriber.addSubscriber("alice")
            let token = try await subscriber.bearerToken("alice", repositories: ["ferry/small"])
            for _ in 0..<2 {
                let response = try await subscriber.send(.GET, "/v2/ferry/small/manifests/v1", token: token, headers: [("Accept", "application/vnd.oci.image.manifest.v1+json")]).response
                #expect(response.status == .ok)
            }
            var stored = ""
            let deadline = ContinuousClock.now + .seconds(10)
            while stored != "2", ContinuousClock.now < deadline {
                stored = try await subscriber.psql("SELECT window_count FROM limit_windows WHERE user_id = \(alice.id)")
                if stored != "2" { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(stored == "2")
        }
    }
}
