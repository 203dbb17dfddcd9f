import Foundation
import Logging
import Synchronization

/// Where flushed usage goes (PostgreSQL in production).
public protocol UsageSink: Sendable {
    /// Applies a batch exactly once: a batch id already applied is ignored.
    func apply(_ batch: UsageBatch) async throws
    /// Forgets the ids of batches applied more than `age` seconds ago. A retry of a
    /// batch older than that would count twice, so `age` must be far longer than any
    /// retry can take.
    func forgetBatches(olderThan age: TimeInterval) async throws
}

/// Meters every response: requests, pulls and bytes actually delivered, per user,
/// upstream and repository, aggregated in memory and flushed in batches.
///
/// Recording is a dictionary update under a lock, cheap enough for every chunk of a
/// download, so an interrupted download counts what was really sent and a crash loses
/// at most one flush interval. A failed flush is retried with the same batch id, so a
/// retry never double-counts. Each flush writes at most one batch, so however busy the
/// server is, PostgreSQL sees one transaction per flush interval.
public final class UsageMeter: Sendable {
    /// Kinds of metered request.
    public enum RequestKind: Sendable {
        case manifest
        case blob
        case other
    }

    private struct State {
        var pending = UsageBatch()
        /// A batch whose write failed or is under way; retried before anything newer.
        var unconfirmed: UsageBatch?
    }

    /// How long the ids of applied batches are kept: far longer than any retry.
    public static let batchRetention: TimeInterval = 7 * 86400
    /// How often the flush loop removes batch ids older than `batchRetention`.
    public static let batchPruneInterval: TimeInterval = 3600

    let sink: any UsageSink
    let calendar: BillingCalendar
    let now: @Sendable () -> Date
    let logger: Logger
    private let state = Mutex(State())
    private let lastFlush = Mutex<Date?>(nil)
    private let flushes = Atomic<Int>(0)
    private let lastPrune = Mutex<Date?>(nil)

    /// Creates a meter writing to `sink`.
    public init(sink: any UsageSink, calendar: BillingCalendar, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) {
        self.sink = sink
        self.calendar = calendar
        self.logger = logger
        self.now = now
    }

    /// Counts a request (and a manifest or blob pull).
    public func recordRequest(userID: Int64, upstream: String, repository: String, kind: RequestKind) {
        let key = UsageKey(day: calendar.day(of: now()), userID: userID, upstream: upstream, repository: repository)
        state.withLock { state in
            var counts = state.pending.rows[key] ?? UsageCounts()
            counts.requests += 1
            switch kind {
            case .manifest: counts.manifestPulls += 1
            case .blob: counts.blobPulls += 1
            case .other: break
            }
            state.pending.rows[key] = counts
        }
    }

    /// Counts bytes written to a client.
    public func recordBytes(userID: Int64, upstream: String, repository: String, bytes: Int, fromCache: Bool) {
        guard bytes > 0 else { return }
        let key = UsageKey(day: calendar.day(of: now()), userID: userID, upstream: upstream, repository: repository)
        state.withLock { state in
            var counts = state.pending.rows[key] ?? UsageCounts()
            counts.bytesServed += Int64(bytes)
            if fromCache { counts.hitBytes += Int64(bytes) }
            state.pending.rows[key] = counts
        }
    }

    /// Notes a client address a user pulled from today.
    public func recordAddress(userID: Int64, address: String) {
        let key = AddressKey(day: calendar.day(of: now()), userID: userID, address: address)
        _ = state.withLock { $0.pending.addresses.insert(key) }
    }

    /// Counts bytes fetched from an upstream (cache fills).
    public func recordUpstreamBytes(upstream: String, bytes: Int64) {
        let key = UpstreamDayKey(day: calendar.day(of: now()), upstream: upstream)
        state.withLock { $0.pending.upstreamBytes[key, default: 0] += bytes }
    }

    /// Bytes served to `userID` since `day` that are not yet confirmed in the database.
    public func unflushedBytes(userID: Int64, from day: CalendarDay) -> Int64 {
        state.withLock { state in
            state.pending.bytesServed(userID: userID, from: day) + (state.unconfirmed?.bytesServed(userID: userID, from: day) ?? 0)
        }
    }

    /// When the last successful flush finished (for the flush-lag metric).
    public var lastFlushTime: Date? { lastFlush.withLock { $0 } }

    /// Calls of `flush()` so far: each writes one batch at most.
    public var flushCount: Int { flushes.load(ordering: .relaxed) }

    /// Writes one batch and returns: a batch left over from a failed flush (same id) if
    /// there is one, otherwise everything recorded until now. Usage recorded while the
    /// batch is written waits for the next flush, so under any load a flush is one
    /// transaction.
    public func flush() async throws {
        flushes.add(1, ordering: .relaxed)
        guard let batch = takeBatch() else { return }
        do {
            try await sink.apply(batch)
        } catch {
            logger.warning("usage flush failed; will retry the same batch", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
            throw error
        }
        state.withLock { if $0.unconfirmed?.id == batch.id { $0.unconfirmed = nil } }
        lastFlush.withLock { $0 = now() }
    }

    /// Writes everything recorded so far (at shutdown, when nothing new arrives): the
    /// batch left over from a failed flush, then the rest.
    public func flushEverything() async throws {
        try await flush()
        try await flush()
    }

    /// Removes the ids of batches older than `batchRetention`, at most once per
    /// `batchPruneInterval` (the flush loop calls it after each flush). A failure is
    /// logged and tried again an interval later.
    public func pruneBatchesIfDue() async {
        let now = now()
        let due = lastPrune.withLock { last in
            if let last, now.timeIntervalSince(last) < Self.batchPruneInterval { return false }
            last = now
            return true
        }
        guard due else { return }
        do {
            try await sink.forgetBatches(olderThan: Self.batchRetention)
        } catch {
            logger.warning("removing old usage batch ids failed", metadata: ["error": "\(error)"])
        }
    }

    private func takeBatch() -> UsageBatch? {
        state.withLock { state in
            if let unconfirmed = state.unconfirmed { return unconfirmed }
            guard !state.pending.isEmpty else { return nil }
            state.unconfirmed = state.pending
            state.pending = UsageBatch()
            return state.unconfirmed
        }
    }

    /// Flushes every `interval` until `stop()` is true or the task is cancelled, then
    /// flushes everything once more (retrying a few times), so a graceful shutdown loses
    /// nothing. Old batch ids are pruned from the same loop.
    public func run(every interval: Duration, until stop: @Sendable () -> Bool) async {
        await FlushLoop.run(every: interval, until: stop, logger: logger, failure: "final usage flush failed") {
            try? await flush()
            await pruneBatchesIfDue()
        } last: {
            try await self.flushEverything()
        }
    }
}
