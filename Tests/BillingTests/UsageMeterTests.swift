import Billing
import FerryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A sink that keeps every batch it is given (the same id twice is counted twice: the
/// de-duplication by batch id is PostgreSQL's, tested against PostgreSQL) and can be
/// told to fail before applying.
final class RecordingSink: UsageSink {
    private let state = Mutex<(ids: [UUID], totals: [UsageKey: UsageCounts], failNext: Int)>(([], [:], 0))

    func apply(_ batch: UsageBatch) async throws {
        struct Unavailable: Error {}
        try state.withLock { state in
            state.ids.append(batch.id)
            if state.failNext > 0 {
                state.failNext -= 1
                throw Unavailable()
            }
            for (key, counts) in batch.rows {
                var total = state.totals[key] ?? UsageCounts()
                total.requests += counts.requests
                total.manifestPulls += counts.manifestPulls
                total.blobPulls += counts.blobPulls
                total.bytesServed += counts.bytesServed
                total.hitBytes += counts.hitBytes
                state.totals[key] = total
            }
        }
    }

    func forgetBatches(olderThan age: TimeInterval) async throws {
        forgotten.add(1, ordering: .relaxed)
    }

    /// Calls of `forgetBatches`.
    let forgotten = Atomic<Int>(0)

    func fail(times: Int) { state.withLock { $0.failNext = times } }
    var totals: [UsageKey: UsageCounts] { state.withLock { $0.totals } }
    /// The id of every batch handed over, failed attempts included.
    var ids: [UUID] { state.withLock { $0.ids } }
    var attempts: Int { ids.count }
}

@Suite struct UsageMeterTests {
    let clock = TestClock(Date(timeIntervalSince1970: 1_796_070_600))  // 2026-11-30 20:30 UTC
    let sink = RecordingSink()
    let meter: UsageMeter

    init() {
        meter = UsageMeter(sink: sink, calendar: BillingCalendar(timeZone: TimeZone(identifier: "UTC")!), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }), now: { [clock] in clock.now })
    }

    var key: UsageKey { UsageKey(day: CalendarDay("2026-11-30")!, userID: 7, upstream: "docker.io", repository: "library/nginx") }

    @Test func aggregatesPerDayUserUpstreamAndRepository() async throws {
        meter.recordRequest(userID: 7, upstream: "docker.io", repository: "library/nginx", kind: .manifest)
        meter.recordRequest(userID: 7, upstream: "docker.io", repository: "library/nginx", kind: .blob)
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1000, fromCache: true)
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 500, fromCache: false)
        meter.recordBytes(userID: 8, upstream: "docker.io", repository: "library/nginx", bytes: 42, fromCache: false)
        #expect(meter.unflushedBytes(userID: 7, from: CalendarDay("2026-11-01")!) == 1500)
        try await meter.flush()
        #expect(sink.totals[key] == UsageCounts(requests: 2, manifestPulls: 1, blobPulls: 1, bytesServed: 1500, hitBytes: 1000))
        #expect(meter.unflushedBytes(userID: 7, from: CalendarDay("2026-11-01")!) == 0)
        clock.advance(by: 4 * 3600)  // past midnight: a new day row
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1, fromCache: false)
        try await meter.flush()
        #expect(sink.totals[UsageKey(day: CalendarDay("2026-12-01")!, userID: 7, upstream: "docker.io", repository: "library/nginx")]?.bytesServed == 1)
    }

    /// A failed flush is retried with the same batch (the same id, so PostgreSQL can
    /// apply it once however often it arrives: `PostgresUsageBatchTests`), and what was
    /// recorded meanwhile goes in the next batch.
    @Test func retriedFlushesResendTheSameBatchAndDropNothing() async throws {
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 100, fromCache: false)
        sink.fail(times: 3)
        for _ in 0..<3 {
            await #expect(throws: (any Error).self) { try await meter.flush() }
            // Recording goes on while the database is away.
            meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 10, fromCache: false)
        }
        #expect(meter.unflushedBytes(userID: 7, from: CalendarDay("2026-11-30")!) == 130)
        // One batch per flush: first the one that failed, with its id, then the rest.
        try await meter.flush()
        #expect(sink.totals[key]?.bytesServed == 100)
        #expect(Set(sink.ids).count == 1 && sink.ids.count == 4)
        try await meter.flush()
        #expect(sink.totals[key]?.bytesServed == 130)
        #expect(Set(sink.ids).count == 2)
        try await meter.flush()  // nothing left: no batch at all
        #expect(sink.totals[key]?.bytesServed == 130 && sink.ids.count == 5)
    }

    @Test func oldBatchIdsArePrunedAtMostOnceAnHour() async {
        await meter.pruneBatchesIfDue()
        #expect(sink.forgotten.load(ordering: .relaxed) == 1)
        await meter.pruneBatchesIfDue()
        clock.advance(by: 3599)
        await meter.pruneBatchesIfDue()
        #expect(sink.forgotten.load(ordering: .relaxed) == 1)
        clock.advance(by: 1)
        await meter.pruneBatchesIfDue()
        #expect(sink.forgotten.load(ordering: .relaxed) == 2)
    }

    /// Review H2 (and W6): under a continuous stream of chunks, a flush writes one batch
    /// and returns instead of chasing the traffic. The sink records a new chunk while it
    /// applies each batch, so there is always more to write when `apply` returns,
    /// whatever the scheduler does.
    @Test func aFlushUnderLoadWritesOneBatchAndReturns() async throws {
        let sink = FeedingSink()
        let meter = UsageMeter(sink: sink, calendar: BillingCalendar(timeZone: TimeZone(identifier: "UTC")!), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        sink.meter.withLock { $0 = meter }
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1, fromCache: false)
        try await meter.flush()
        #expect(sink.attempts == 1, "\(sink.attempts) batches in one flush")
        #expect(meter.unflushedBytes(userID: 7, from: CalendarDay("2026-01-01")!) == 1)  // the chunk recorded meanwhile waits
    }

    @Test func concurrentRecordingIsExact() async throws {
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    for _ in 0..<1000 { meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 3, fromCache: false) }
                }
            }
            group.addTask { for _ in 0..<20 { try? await meter.flush() } }
        }
        try await meter.flush()
        #expect(sink.totals[key]?.bytesServed == 24_000)
    }
}

/// A sink that takes 5 ms per batch, as a database round trip does.
/// A sink that records a chunk into the meter while it applies a batch (at most 50
/// times, so a flush that chased the traffic would still end).
final class FeedingSink: UsageSink {
    private let count = Atomic<Int>(0)
    let meter = Mutex<UsageMeter?>(nil)
    var attempts: Int { count.load(ordering: .relaxed) }

    func apply(_ batch: UsageBatch) async throws {
        guard count.add(1, ordering: .relaxed).newValue <= 50 else { return }
        meter.withLock { $0 }?.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1, fromCache: false)
    }

    func forgetBatches(olderThan age: TimeInterval) async throws {}
}
