import Foundation
import Logging
import Synchronization

/// Where flushed usage goes (PostgreSQL in production).
public protocol UsageSink: Sendable {
    /// Applies a batch exactly once: a batch id already applied is ignored.
    func apply(_ batch: UsageBatch) async throws
}

/// Meters every response: requests, pulls and bytes actually delivered, per user,
/// upstream and repository, aggregated in memory and flushed in batches.
///
/// Recording is a dictionary update under a lock, cheap enough for every chunk of a
/// download, so an interrupted download counts what was really sent and a crash loses
/// at most one flush interval. A failed flush is retried with the same batch id, so a
/// retry never double-counts.
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

    let sink: any UsageSink
    let calendar: BillingCalendar
    let now: @Sendable () -> Date
    let logger: Logger
    private let state = Mutex(State())
    private let lastFlush = Mutex<Date?>(nil)

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

    /// Writes what was recorded: first a batch left over from a failed flush (same id),
    /// then everything since.
    public func flush() async throws {
        while let batch = takeBatch() {
            do {
                try await sink.apply(batch)
            } catch {
                logger.warning("usage flush failed; will retry the same batch", metadata: ["batch": "\(batch.id)", "error": "\(error)"])
                throw error
            }
            state.withLock { if $0.unconfirmed?.id == batch.id { $0.unconfirmed = nil } }
            lastFlush.withLock { $0 = now() }
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
    /// flushes once more (retrying a few times), so a graceful shutdown loses nothing.
    public func run(every interval: Duration, until stop: @Sendable () -> Bool) async {
        let step = Duration.milliseconds(100)
        var waited = Duration.zero
        while !stop(), !Task.isCancelled {
            do {
                try await Task.sleep(for: step)
            } catch {
                break
            }
            waited += step
            if waited >= interval {
                waited = .zero
                try? await flush()
            }
        }
        // The last flush must run even when shutdown has cancelled this task (a
        // cancelled task's queries fail at once), so it runs in a task of its own, which
        // does not inherit the cancellation, and is awaited to the end.
        await Task {
            for attempt in 1...5 {
                do {
                    try await flush()
                    return
                } catch {
                    logger.error("final usage flush failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
        }.value
    }
}
