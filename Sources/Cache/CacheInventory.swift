#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import OCI
import Synchronization

/// What the cache holds: every cached blob, manifest and tag record with its size and
/// last access (tracked by Ferry, not the filesystem's atime), and which blobs are being
/// read right now.
///
/// The request path only touches memory, in O(1) under one short lock: a cache hit
/// takes a `ReadLease` and notes the access in a bounded buffer. `flush()` writes the
/// buffered accesses to the `CacheIndex` (SQLite in the data directory) in small
/// batches, off the request path; eviction reads the index in order of last access.
/// Totals are kept by the index, so reading the cache's size is O(1) at any scale.
///
/// The disk is the truth: a blob missing from the index is still served (and adopted
/// when it is read), an index entry whose file is gone is dropped when it comes up for
/// eviction, and after a crash `reconcile()` walks the directories in the background.
public final class CacheInventory: Sendable {
    /// The data directory.
    /// Where the cache's files live.
    public let layout: CacheLayout
    let index: CacheIndex
    let now: @Sendable () -> Date
    let logger: Logger
    private let state: Mutex<State>
    /// Accesses buffered between two flushes at most; beyond, accesses are not recorded
    /// until the next flush (eviction order gets a little less exact, memory stays flat).
    public static let touchLimit = 65_536
    /// Rows written per index transaction, so no write holds the index for long.
    static let batchSize = 512

    struct State {
        var readers: [Digest: Int] = [:]
        /// Sized for `touchLimit` up front: growing it would rehash every entry under the lock.
        var touched = [CacheEntry: Int64](minimumCapacity: CacheInventory.touchLimit)
        var droppedTouches = 0
        var ready: Bool
        var reconciled = false
        var closed = false
        /// The longest each kind of caller held the lock since `takeLongestLockHolds()`.
        var longestHolds = LockHolds()
    }

    /// Opens the index (`layout.index`), creating it when missing. A new
    /// or rebuilt index is not ready (eviction waits) until `reconcile()` has filled it.
    public static func open(_ layout: CacheLayout, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) throws -> CacheInventory {
        let index = try CacheIndex.open(path: layout.index)
        return CacheInventory(layout: layout, index: index, logger: logger, now: now)
    }

    /// Opens the index of the data directory `root`.
    public static func open(root: String, logger: Logger, now: @escaping @Sendable () -> Date = Date.init) throws -> CacheInventory {
        try open(CacheLayout(root: root), logger: logger, now: now)
    }

    init(layout: CacheLayout, index: CacheIndex, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.layout = layout
        self.index = index
        self.logger = logger
        self.now = now
        // A new index over an empty cache (a first start) has nothing to catch up on.
        let nothingToIndex = index.condition == .empty && !Self.holdsFiles(layout)
        state = Mutex(State(ready: index.condition != .empty || nothingToIndex, reconciled: nothingToIndex))
    }

    /// Whether any blob, manifest or tag directory has an entry (a cheap look, not a walk).
    private static func holdsFiles(_ layout: CacheLayout) -> Bool {
        [layout.blobs, layout.manifests, layout.tags].contains { directory in
            !((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []).isEmpty
        }
    }

    /// Whether the index knows every file, so eviction may trust it.
    public var isReady: Bool { locked(.other) { $0.ready } }

    /// Whether the directories should be walked to bring the index up to date (it is
    /// new, or the last process did not close it).
    public var needsReconciliation: Bool {
        index.condition != .clean && !locked(.other) { $0.reconciled }
    }

    // MARK: - Request path

    /// Marks a blob as read now and protects it from eviction until the lease is released.
    public func lease(_ digest: Digest) -> ReadLease {
        let at = milliseconds(now())
        let entry = CacheEntry.blob(digest)  // allocated before the lock, not under it
        locked(.request) { state in
            state.readers[digest, default: 0] += 1
            Self.record(entry, at: at, in: &state)
        }
        return ReadLease(inventory: self, digest: digest)
    }

    func release(_ digest: Digest) {
        locked(.request) { state in
            guard let readers = state.readers[digest] else { return }
            state.readers[digest] = readers > 1 ? readers - 1 : nil
        }
    }

    /// Notes that a manifest or tag record was read now.
    public func touch(_ entry: CacheEntry) {
        let at = milliseconds(now())
        locked(.request) { Self.record(entry, at: at, in: &$0) }
    }

    private static func record(_ entry: CacheEntry, at: Int64, in state: inout State) {
        if state.touched.count < touchLimit || state.touched[entry] != nil {
            state.touched[entry] = at
        } else {
            state.droppedTouches += 1
        }
    }

    // MARK: - Changes

    /// Records a newly written file (a committed blob, a stored manifest or tag record).
    public func committed(_ entry: CacheEntry, size: Int64) {
        write("record") { try self.index.upsert([CacheIndex.IndexedFile(entry: entry, size: size, lastAccess: self.milliseconds(self.now()))]) }
    }

    /// `committed` without blocking the calling thread on the index.
    public func committed(_ entry: CacheEntry, size: Int64) async {
        guard !isClosed else { return }
        do {
            try await index.upsertAsync([CacheIndex.IndexedFile(entry: entry, size: size, lastAccess: milliseconds(now()))])
        } catch {
            logger.warning("cannot record in the cache index", metadata: ["entry": "\(entry)", "error": "\(error)"])
        }
    }

    /// Forgets files deleted by someone else (`ferry cache purge`, an upstream's 404).
    public func forget(_ entries: [CacheEntry]) {
        write("forget") { _ = try self.index.remove(entries) }
    }

    private func write(_ what: String, _ body: () throws -> Void) {
        guard !isClosed else { return }
        do {
            try body()
        } catch {
            logger.warning("cannot \(what) in the cache index", metadata: ["error": "\(error)"])
        }
    }

    private var isClosed: Bool { locked(.other) { $0.closed } }

    // MARK: - Totals

    /// Bytes of everything cached (blobs, manifests and tag records): what the budget counts.
    public var totalBytes: Int64 { index.totals.allBytes }
    /// Number of cached blobs.
    public var count: Int { count(of: .blob) }
    /// Number of cached entries of a kind.
    public func count(of kind: CacheEntry.Kind) -> Int { index.totals.counts[kind.rawValue] }
    /// Bytes of cached entries of a kind.
    public func bytes(of kind: CacheEntry.Kind) -> Int64 { index.totals.bytes[kind.rawValue] }

    /// The least recent access of any cached blob.
    public var oldestAccess: Date? {
        (try? index.oldestAccess(of: .blob)).flatMap { $0 }.map { Date(timeIntervalSince1970: TimeInterval($0) / 1000) }
    }

    /// Accesses not recorded because the buffer was full (for logs and tests).
    public var droppedAccesses: Int { locked(.other) { $0.droppedTouches } }

    /// Who takes the request-path lock.
    public enum LockHolder: Int, CaseIterable, Sendable {
        /// Cache hits: `lease`, its release, `touch`.
        case request
        /// `flush()` taking the buffered accesses.
        case flush
        /// Eviction checking its candidates.
        case eviction
        /// Everything else (status reads).
        case other
    }

    /// The longest hold of the lock by each kind of holder: wall time, and for the
    /// background holders (flush, eviction) also the CPU time their thread spent in it
    /// (the wall time also counts the thread being descheduled while it held the lock).
    public struct LockHolds: Sendable {
        private var holds = [Duration](repeating: .zero, count: LockHolder.allCases.count)
        private var work = [Duration](repeating: .zero, count: LockHolder.allCases.count)

        /// The longest hold by `holder`, wall time.
        public subscript(holder: LockHolder) -> Duration {
            get { holds[holder.rawValue] }
            set { holds[holder.rawValue] = newValue }
        }

        /// The most CPU time a background `holder` spent in one hold (zero for hits,
        /// which are not measured this way: it costs a system call).
        public func work(of holder: LockHolder) -> Duration { work[holder.rawValue] }

        /// Background holds (flush, eviction) over 1 ms of wall time.
        public private(set) var backgroundHoldsOver1ms = 0
        /// Background holds (flush, eviction) in all.
        public private(set) var backgroundHolds = 0

        mutating func noteWork(_ duration: Duration, wall: Duration, by holder: LockHolder) {
            work[holder.rawValue] = max(work[holder.rawValue], duration)
            backgroundHolds += 1
            if wall > .milliseconds(1) { backgroundHoldsOver1ms += 1 }
        }
    }

    /// How long each kind of caller held the request-path lock at most since the last
    /// call (for benchmarks); resets the figures. A hold counts the holder's thread being
    /// descheduled while it holds the lock.
    public func takeLongestLockHolds() -> LockHolds {
        locked(.other) { state in
            defer { state.longestHolds = LockHolds() }
            return state.longestHolds
        }
    }

    /// Runs `body` under the request-path lock, noting how long `holder` held it.
    private func locked<Value>(_ holder: LockHolder, _ body: (inout State) -> Value) -> Value {
        let background = holder == .flush || holder == .eviction
        return state.withLock { state in
            let start = ContinuousClock.now
            let cpuStart = background ? Self.threadCPUTime() : .zero
            let value = body(&state)
            let wall = ContinuousClock.now - start
            if background { state.longestHolds.noteWork(Self.threadCPUTime() - cpuStart, wall: wall, by: holder) }
            state.longestHolds[holder] = max(state.longestHolds[holder], wall)
            return value
        }
    }

    /// CPU time used by the calling thread so far.
    private static func threadCPUTime() -> Duration {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return .seconds(time.tv_sec) + .nanoseconds(time.tv_nsec)
    }

    // MARK: - Background work

    /// Writes the buffered accesses to the index, in batches; entries the index does not
    /// know are adopted when their file exists.
    public func flush() async {
        guard !locked(.flush, { $0.touched.isEmpty }) else { return }
        // The next buffer is sized before the lock, so no hit ever grows it under the
        // lock (growing rehashes every entry: milliseconds at the limit).
        var fresh = [CacheEntry: Int64](minimumCapacity: Self.touchLimit)
        let touched = locked(.flush) { state -> [CacheEntry: Int64] in
            swap(&fresh, &state.touched)
            return fresh
        }
        guard !touched.isEmpty, !isClosed else { return }
        do {
            var accesses = Array(touched.lazy.map { (entry: $0.key, at: $0.value) })
            while !accesses.isEmpty {
                let batch = Array(accesses.suffix(Self.batchSize))
                accesses.removeLast(batch.count)
                let unknown = try await index.touch(batch)
                if !unknown.isEmpty { try await adopt(unknown, accessed: touched) }
            }
        } catch {
            logger.warning("cannot write access times to the cache index", metadata: ["error": "\(error)"])
        }
    }

    /// Indexes files the index did not know (lost in a crash, or not yet reconciled).
    private func adopt(_ entries: [CacheEntry], accessed: [CacheEntry: Int64]) async throws {
        let found = entries.compactMap { entry -> CacheIndex.IndexedFile? in
            guard let size = FileStatus(path: layout.path(of: entry))?.size else { return nil }
            return CacheIndex.IndexedFile(entry: entry, size: size, lastAccess: accessed[entry] ?? milliseconds(now()))
        }
        if !found.isEmpty { try await index.upsertAsync(found) }
    }

    /// Of these eviction candidates, those nobody reads or read since the last flush;
    /// O(candidates) under the request-path lock, never O(cache).
    func evictable(_ candidates: [CacheIndex.IndexedFile]) -> [CacheIndex.IndexedFile] {
        // Digests are decoded before the lock; under it, only lookups.
        let digests = candidates.map { $0.entry.kind == .blob ? $0.entry.digest : nil }
        let keep = locked(.eviction) { state in
            zip(candidates, digests).map { candidate, digest in
                guard state.touched[candidate.entry] == nil else { return false }
                if let digest, state.readers[digest] != nil { return false }
                return true
            }
        }
        return zip(candidates, keep).compactMap { $1 ? $0 : nil }
    }

    /// Marks the index complete (after a reconciliation).
    func markReconciled() {
        locked(.other) { state in
            state.ready = true
            state.reconciled = true
        }
    }

    /// Writes the buffered accesses and closes the index, recording whether it matches
    /// the disk (so the next start knows whether to reconcile). Later changes are ignored.
    public func close() async {
        await flush()
        let clean = locked(.other) { state -> Bool in
            state.closed = true
            return state.reconciled || index.condition == .clean
        }
        do {
            try index.close(clean: clean)
        } catch {
            logger.warning("cannot close the cache index", metadata: ["error": "\(error)"])
        }
    }

    func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
