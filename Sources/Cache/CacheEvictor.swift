#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Logging
import OCI
import Synchronization

/// Keeps the cache under a size budget: above `budget` bytes it deletes the least
/// recently used blobs, manifests and tag records (never a blob being read) until the
/// cache is at `lowWater` bytes. A manifest whose blobs were evicted still pulls (they
/// are fetched again); a tag whose manifest was evicted is fetched again too, never
/// served pointing at nothing.
///
/// A pass reads the index in order of last access, `CacheInventory.batchSize` entries
/// at a time; the request-path lock is taken once per `candidatesPerLock` of them, for
/// that much work, and the files are deleted outside it.
public struct CacheEvictor: Sendable {
    public let inventory: CacheInventory
    public let budget: Int64
    public let lowWater: Int64
    /// Told about evicted manifests and tags, so its in-memory copies go too.
    let manifests: FileSystemManifestStore?
    let logger: Logger
    /// Told the bytes of every eviction (for metrics).
    let evicted: @Sendable (Int64) -> Void
    private let running = PassFlag()
    /// Candidates checked against the readers and recent hits per hold of the
    /// request-path lock, so no hold is long enough for a hit to notice.
    static let candidatesPerLock = 64

    /// Creates an evictor; `lowWaterFraction` of the budget is what eviction goes down to.
    public init(
        inventory: CacheInventory, manifests: FileSystemManifestStore? = nil, budget: Int64, lowWaterFraction: Double = 0.9, logger: Logger,
        evicted: @escaping @Sendable (Int64) -> Void = { _ in }
    ) {
        self.inventory = inventory
        self.manifests = manifests
        self.budget = budget
        self.lowWater = Int64(Double(budget) * lowWaterFraction)
        self.logger = logger
        self.evicted = evicted
    }

    /// What an eviction pass did (or, dry, would do).
    public struct Result: Sendable, Equatable {
        public var blobs = 0
        public var manifests = 0
        public var tags = 0
        public var bytes: Int64 = 0

        /// Creates a result.
        public init(blobs: Int = 0, manifests: Int = 0, tags: Int = 0, bytes: Int64 = 0) {
            self.blobs = blobs
            self.manifests = manifests
            self.tags = tags
            self.bytes = bytes
        }

        mutating func add(_ file: CacheIndex.IndexedFile) {
            switch file.entry.kind {
            case .blob: blobs += 1
            case .manifest: manifests += 1
            case .tag: tags += 1
            }
            bytes += file.size
        }
    }

    /// Writes the buffered access times, then evicts down to `target` (default: the
    /// low-water mark, only when over budget). An automatic pass (no target) is skipped
    /// while another runs, and waits until the index is complete.
    @discardableResult
    public func evict(to target: Int64? = nil, dryRun: Bool = false) async -> Result {
        guard target != nil || running.start() else { return Result() }
        defer { if target == nil { running.finish() } }
        await inventory.flush()
        guard target != nil || inventory.isReady else { return Result() }
        let total = inventory.totalBytes
        let goal = target ?? (total > budget ? lowWater : total)
        guard total > goal else { return Result() }
        var result = Result()
        do {
            var cursor: CacheIndex.IndexedFile?
            while true {
                let excess = (dryRun ? total - result.bytes : inventory.totalBytes) - goal
                guard excess > 0 else { break }
                let batch = try await inventory.index.oldest(after: cursor, limit: CacheInventory.batchSize)
                guard let last = batch.last else { break }
                cursor = last
                var chosen: [CacheIndex.IndexedFile] = []
                var freeing: Int64 = 0
                let evictable = stride(from: 0, to: batch.count, by: Self.candidatesPerLock).flatMap { start in
                    inventory.evictable(Array(batch[start..<min(start + Self.candidatesPerLock, batch.count)]))
                }
                for candidate in evictable where freeing < excess {
                    chosen.append(candidate)
                    freeing += candidate.size
                }
                if dryRun {
                    chosen.forEach { result.add($0) }
                    continue
                }
                for file in try await inventory.index.removeUnchanged(chosen) {
                    delete(file.entry)
                    result.add(file)
                }
            }
        } catch {
            logger.warning("cache eviction stopped", metadata: ["error": "\(error)"])
        }
        if !dryRun, result.bytes > 0 {
            evicted(result.bytes)
            logger.notice("cache evicted", metadata: [
                "blobs": "\(result.blobs)", "manifests": "\(result.manifests)", "tags": "\(result.tags)", "bytes": "\(result.bytes)",
                "remaining": "\(inventory.totalBytes)", "budget": "\(budget)",
            ])
        }
        return result
    }

    /// Deletes an entry's file (already gone from the index; a reader holding it open
    /// keeps reading) and any in-memory copy.
    private func delete(_ entry: CacheEntry) {
        unlink(inventory.layout.path(of: entry))
        if entry.kind != .blob { manifests?.evicted(entry) }
    }

    /// Writes access times and evicts when needed, every `interval`, until cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            await evict()
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
        }
    }
}

/// Whether an automatic eviction pass is running (one at a time is enough).
private final class PassFlag: Sendable {
    private let running = Mutex(false)

    func start() -> Bool {
        running.withLock { running in
            defer { running = true }
            return !running
        }
    }

    func finish() {
        running.withLock { $0 = false }
    }
}
