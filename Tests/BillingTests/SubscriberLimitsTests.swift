import Billing
import FerryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// Standings and flushed daily usage in memory: what PostgreSQL gives `SubscriberLimits`.
final class DailyUsageStore: StandingSource, UsageSink {
    private let state = Mutex<(standings: [Int64: Standing], bytes: [Int64: [CalendarDay: Int64]])>(([:], [:]))

    func set(_ standing: Standing) { state.withLock { $0.standings[standing.userID] = standing } }

    func standing(userID: Int64) async throws -> Standing? { state.withLock { $0.standings[userID] } }

    func bytesServed(userID: Int64, from: CalendarDay, to: CalendarDay) async throws -> Int64 {
        state.withLock { state in
            (state.bytes[userID] ?? [:]).reduce(0) { $1.key >= from && $1.key < to ? $0 + $1.value : $0 }
        }
    }

    func apply(_ batch: UsageBatch) async throws {
        state.withLock { state in
            for (key, counts) in batch.rows { state.bytes[key.userID, default: [:]][key.day, default: 0] += counts.bytesServed }
        }
    }

    func forgetBatches(olderThan age: TimeInterval) async throws {}
}

@Suite struct SubscriberLimitsTests {
    let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
    let store = DailyUsageStore()
    let states = InMemoryLimitStateStore()
    let clock: TestClock
    let meter: UsageMeter

    init() {
        clock = TestClock(Date(timeIntervalSince1970: 1_795_083_600))  // 2026-11-19 09:00 UTC
        meter = UsageMeter(sink: store, calendar: calendar, logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), now: { [clock] in clock.now })
    }

    func limits() -> SubscriberLimits {
        SubscriberLimits(source: store, states: states, meter: meter, calendar: calendar, graceDays: 3, standingLifetime: 0, quotaReload: 60, now: { [clock] in clock.now })
    }

    static func plan(quota: Int64 = 1 << 30, rpm: Int = 600, pulls: Int = 5, window: Int = 3600, concurrency: Int = 4) -> Plan {
        Plan(
            id: 1, name: "test", priceMinor: 300, currency: "CNY", monthlyQuotaBytes: quota, requestsPerMinute: rpm,
            manifestPullsPerWindow: pulls, manifestWindowSeconds: window, maxConcurrentDownloads: concurrency, maxClientAddressesPerDay: 3
        )
    }

    @discardableResult
    func subscribe(_ plan: Plan, start: String, end: String, cancelled: Bool = false) -> Standing {
        let subscription = Subscription(
            userID: 7, planID: plan.id, anchorDay: CalendarDay(start)!.day, periodStart: CalendarDay(start)!, periodEnd: CalendarDay(end)!,
            cancelledAt: cancelled ? clock.now : nil
        )
        let standing = Standing(userID: 7, username: "alice", plan: plan, subscription: subscription)
        store.set(standing)
        return standing
    }

    func day(_ text: String, hour: Int = 10) -> Date {
        calendar.start(of: CalendarDay(text)!).addingTimeInterval(TimeInterval(hour * 3600))
    }

    func refusal(_ body: () async throws -> Void) async -> LimitRefusal? {
        do {
            try await body()
            return nil
        } catch {
            return error as? LimitRefusal
        }
    }

    // MARK: - Download slots (review H1)

    @Test func aSlotIsGivenBackOnceWhetherReleasedOrDropped() async throws {
        let limits = limits()
        let standing = subscribe(Self.plan(concurrency: 1), start: "2026-11-01", end: "2026-12-01")
        do {
            // Held by a response that is then dropped without its body ever running.
            let dropped = try await limits.beginDownload(standing)
            #expect(await refusal { _ = try await limits.beginDownload(standing) }?.reason == .concurrency)
            withExtendedLifetime(dropped) {}
        }
        let second = try await limits.beginDownload(standing)
        second.release()
        second.release()  // idempotent: it must not free a slot it does not hold
        let third = try await limits.beginDownload(standing)
        #expect(await refusal { _ = try await limits.beginDownload(standing) }?.reason == .concurrency)
        withExtendedLifetime(third) {}
    }

    // MARK: - Quota windows (review M2)

    @Test func graceDayBytesCountInThePeriodsLastWindow() async throws {
        let limits = limits()
        let standing = subscribe(Self.plan(quota: 1000), start: "2026-11-01", end: "2026-12-01")
        clock.advance(to: day("2026-12-02"))  // past due: in grace until 12-04
        try await limits.beginDownload(standing).release()
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 2000, fromCache: false)
        try await meter.flush()
        clock.advance(by: 61)  // past the quota reload: the usage is read back from the store
        let refused = try #require(await refusal { _ = try await limits.beginDownload(standing) })
        #expect(refused.reason == .quota)
        #expect(refused.message == "monthly transfer quota of 1000 B used up; the subscription ended on 2026-12-01 and renewing it starts a new quota")
        #expect(refused.retryAfter == 3600)
        #expect(try await limits.quotaUsed(standing) == 2000)
    }

    @Test func inGraceTheQuotaWindowIsThePeriodsLastOneUpToToday() {
        let subscription = Subscription(userID: 7, planID: 1, anchorDay: 31, periodStart: CalendarDay("2026-01-31")!, periodEnd: CalendarDay("2026-04-30")!)
        let active = subscription.quotaWindow(on: CalendarDay("2026-03-05")!, calendar: calendar)
        #expect(active.start == CalendarDay("2026-02-28")! && active.end == CalendarDay("2026-03-31")!)
        let grace = subscription.quotaWindow(on: CalendarDay("2026-05-02")!, calendar: calendar)
        #expect(grace.start == CalendarDay("2026-03-31")! && grace.end == CalendarDay("2026-05-03")!)
    }

    @Test func theRefusalNamesTheResetDayOrTheRenewalItNeeds() async throws {
        let limits = limits()
        let standing = subscribe(Self.plan(quota: 1000), start: "2026-11-15", end: "2027-02-15")
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1000, fromCache: false)
        clock.advance(to: day("2026-11-20", hour: 0))
        let midPeriod = try #require(await refusal { _ = try await limits.beginDownload(standing) })
        #expect(midPeriod.message == "monthly transfer quota of 1000 B used up; it resets on 2026-12-15")
        #expect(midPeriod.retryAfter == 25 * 86400)

        clock.advance(to: day("2027-02-01", hour: 0))
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1000, fromCache: false)
        clock.advance(by: 61)
        let lastWindow = try #require(await refusal { _ = try await limits.beginDownload(standing) })
        #expect(lastWindow.message == "monthly transfer quota of 1000 B used up; it resets on 2027-02-15 if the subscription is renewed")

        let cancelled = subscribe(Self.plan(quota: 1000), start: "2026-11-15", end: "2027-02-15", cancelled: true)
        clock.advance(by: 61)
        #expect(await refusal { _ = try await limits.beginDownload(cancelled) }?.message == "monthly transfer quota of 1000 B used up; the subscription ends on 2027-02-15")
    }

    /// Review D4: production remembers a standing for 5 seconds, and that is the bound
    /// the README promises: an expiry is still admitted 4 seconds later, refused at 5.
    @Test func aChangedStandingBitesWithinFiveSeconds() async throws {
        let limits = SubscriberLimits(source: store, states: states, meter: meter, calendar: calendar, graceDays: 0, now: { [clock] in clock.now })
        subscribe(Self.plan(), start: "2026-11-01", end: "2026-12-01")
        _ = try await limits.admit(userID: 7, username: "alice")
        subscribe(Self.plan(), start: "2026-10-01", end: "2026-11-01", cancelled: true)  // the operator ended it
        clock.advance(by: 4)
        _ = try await limits.admit(userID: 7, username: "alice")  // the documented staleness
        clock.advance(by: 1)
        await #expect(throws: LimitRefusal.self) { _ = try await limits.admit(userID: 7, username: "alice") }
    }

    // MARK: - Buckets and windows (review L3)

    @Test func pullsCountedBeforeARestartStayCounted() async throws {
        let plan = Self.plan(rpm: 3, pulls: 5, window: 3600)
        subscribe(plan, start: "2026-11-01", end: "2026-12-01")
        let first = limits()
        let standing = try #require(try await first.standing(userID: 7))
        for _ in 0..<3 {
            try first.admitRequest(standing)
            _ = try first.admitManifestPull(standing)
        }
        try await first.saveLimitState()
        clock.advance(by: 20)

        let second = limits()  // a restarted server
        let restarted = try #require(try await second.standing(userID: 7))
        #expect(second.manifestPullsRemaining(restarted) == 2)
        // The empty bucket refilled for 20 s at 3 a minute: one request, not a full bucket.
        try second.admitRequest(restarted)
        #expect(await refusal { try second.admitRequest(restarted) }?.reason == .requestRate)
        _ = try second.admitManifestPull(restarted)
        _ = try second.admitManifestPull(restarted)
        let refused = try #require(await refusal { _ = try second.admitManifestPull(restarted) })
        #expect(refused.reason == .manifestPulls)
        #expect(refused.retryAfter == 3600 - 20)
    }

    @Test func onlyChangedStatesAreWrittenBack() async throws {
        let recording = RecordingLimitStateStore()
        let limits = SubscriberLimits(source: store, states: recording, meter: meter, calendar: calendar, graceDays: 3, standingLifetime: 0, now: { [clock] in clock.now })
        subscribe(Self.plan(), start: "2026-11-01", end: "2026-12-01")
        let standing = try #require(try await limits.standing(userID: 7))
        try await limits.saveLimitState()
        #expect(recording.writes.isEmpty)
        try limits.admitRequest(standing)
        try await limits.saveLimitState()
        try await limits.saveLimitState()
        #expect(recording.writes.count == 1)
        #expect(recording.writes.first?[7]?.bucketTokens == 599)
    }

    @Test func aPlanChangeKeepsTheBucketAndTheWindow() async throws {
        let small = Self.plan(rpm: 3, pulls: 2, window: 3600)
        let standing = subscribe(small, start: "2026-11-01", end: "2026-12-01")
        let limits = limits()
        for _ in 0..<3 { try limits.admitRequest(standing) }
        _ = try limits.admitManifestPull(standing)
        _ = try limits.admitManifestPull(standing)
        var bigger = Self.plan(rpm: 600, pulls: 3, window: 7200)
        bigger.id = 2
        let upgraded = subscribe(bigger, start: "2026-11-01", end: "2026-12-01")
        // No refill to 600: the empty bucket now refills at 10 per second.
        #expect(await refusal { try limits.admitRequest(upgraded) }?.reason == .requestRate)
        clock.advance(by: 1)
        try limits.admitRequest(upgraded)
        // The two pulls stay counted in the (now longer) window.
        #expect(limits.manifestPullsRemaining(upgraded) == 1)
        _ = try limits.admitManifestPull(upgraded)
        #expect(await refusal { _ = try limits.admitManifestPull(upgraded) }?.retryAfter == 7199)
    }
}

/// Records every write of limit states.
final class RecordingLimitStateStore: LimitStateStore {
    private let saved = Mutex<[[Int64: LimitState]]>([])
    var writes: [[Int64: LimitState]] { saved.withLock { $0 } }

    func limitState(userID: Int64) async throws -> LimitState? { nil }

    func saveLimitStates(_ states: [Int64: LimitState], now: Date) async throws {
        saved.withLock { $0.append(states) }
    }
}
