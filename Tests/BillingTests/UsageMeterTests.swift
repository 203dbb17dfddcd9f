import Billing
import FerryTestSupport
import Foundation
import Logging
import Synchronization
import Testing

/// A sink that applies each batch id once and can be told to fail.
final class RecordingSink: UsageSink {
    private let state = Mutex<(applied: Set<UUID>, totals: [UsageKey: UsageCounts], failNext: Int, attempts: Int)>(([], [:], 0, 0))

    func apply(_ batch: UsageBatch) async throws {
        struct Unavailable: Error {}
        try state.withLock { state in
            state.attempts += 1
            if state.failNext > 0 {
                state.failNext -= 1
                // Simulates a commit whose acknowledgement was lost half the time.
                if state.failNext % 2 == 0 { Self.merge(batch, into: &state) }
                throw Unavailable()
            }
            Self.merge(batch, into: &state)
        }
    }

    private static func merge(_ batch: UsageBatch, into state: inout (applied: Set<UUID>, totals: [UsageKey: UsageCounts], failNext: Int, attempts: Int)) {
        guard state.applied.insert(batch.id).inserted else { return }
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

    func forgetBatches(olderThan age: TimeInterval) async throws {
        forgotten.add(1, ordering: .relaxed)
    }

    /// Calls of `forgetBatches`.
    let forgotten = Atomic<Int>(0)

    func fail(times: Int) { state.withLock { $0.failNext = times } }
    var totals: [UsageKey: UsageCounts] { state.withLock { $0.totals } }
    var attempts: Int { state.withLock { $0.attempts } }
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

    @Test func retriedFlushesNeverDoubleCountOrDrop() async throws {
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
        try await meter.flush()
        #expect(sink.totals[key]?.bytesServed == 130)
        try await meter.flush()
        #expect(sink.totals[key]?.bytesServed == 130)
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

    /// Review H2: under a continuous stream of chunks, a flush writes one batch and
    /// returns instead of chasing the traffic with back-to-back transactions.
    @Test func aFlushUnderLoadWritesOneBatchAndReturns() async throws {
        let sink = SlowSink()
        let meter = UsageMeter(sink: sink, calendar: BillingCalendar(timeZone: TimeZone(identifier: "UTC")!), logger: Logger(label: "t", factory: { _ in SwiftLogNoOpLogHandler() }))
        let stop = Counter()  // traffic runs while it is 0
        let recorder = Task {
            while stop.value == 0 {
                meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1, fromCache: false)
                try? await Task.sleep(for: .milliseconds(1))
            }
        }
        meter.recordBytes(userID: 7, upstream: "docker.io", repository: "library/nginx", bytes: 1, fromCache: false)
        // Traffic stops after 10 s whatever happens, so an unbounded flush ends too.
        let deadline = Task {
            try? await Task.sleep(for: .seconds(10))
            stop.increment()
        }
        try await meter.flush()
        let returnedDuringTraffic = stop.value == 0
        stop.increment()
        deadline.cancel()
        await recorder.value
        #expect(returnedDuringTraffic, "flush returned only once the traffic stopped")
        #expect(sink.attempts <= 2, "\(sink.attempts) batches in one flush")
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
final class SlowSink: UsageSink {
    private let count = Atomic<Int>(0)
    var attempts: Int { count.load(ordering: .relaxed) }

    func apply(_ batch: UsageBatch) async throws {
        count.add(1, ordering: .relaxed)
        try await Task.sleep(for: .milliseconds(5))
    }

    func forgetBatches(olderThan age: TimeInterval) async throws {}
}
