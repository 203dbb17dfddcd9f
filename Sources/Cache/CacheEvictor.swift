import Foundation
import Logging
import OCI

/// Keeps the blob cache under a size budget: above `budget` bytes it deletes the least
/// recently used blobs (never one being read) until the cache is at `lowWater` bytes.
/// A manifest whose blobs were evicted still pulls: they are fetched again.
public struct CacheEvictor: Sendable {
    public let inventory: BlobInventory
    public let budget: Int64
    public let lowWater: Int64
    let logger: Logger
    /// Told the bytes of every eviction (for metrics).
    let evicted: @Sendable (Int64) -> Void

    /// Creates an evictor; `lowWaterFraction` of the budget is what eviction goes down to.
    public init(inventory: BlobInventory, budget: Int64, lowWaterFraction: Double = 0.9, logger: Logger, evicted: @escaping @Sendable (Int64) -> Void = { _ in }) {
        self.inventory = inventory
        self.budget = budget
        self.lowWater = Int64(Double(budget) * lowWaterFraction)
        self.logger = logger
        self.evicted = evicted
    }

    /// What an eviction pass did (or, dry, would do).
    public struct Result: Sendable, Equatable {
        public var blobs = 0
        public var bytes: Int64 = 0

        /// Creates a result.
        public init(blobs: Int = 0, bytes: Int64 = 0) {
            self.blobs = blobs
            self.bytes = bytes
        }
    }

    /// Evicts down to `target` (default: the low-water mark, only when over budget).
    @discardableResult
    public func evict(to target: Int64? = nil, dryRun: Bool = false) -> Result {
        let total = inventory.totalBytes
        let goal = target ?? (total > budget ? lowWater : total)
        guard total > goal else { return Result() }
        var result = Result()
        for candidate in inventory.evictionCandidates(toFree: total - goal) {
            if dryRun || inventory.evict(candidate.digest) {
                result.blobs += 1
                result.bytes += candidate.size
            }
        }
        if !dryRun, result.blobs > 0 {
            evicted(result.bytes)
            logger.notice("cache evicted", metadata: ["blobs": "\(result.blobs)", "bytes": "\(result.bytes)", "remaining": "\(inventory.totalBytes)", "budget": "\(budget)"])
        }
        return result
    }

    /// Evicts when needed and persists access times, every `interval`, until cancelled.
    public func run(every interval: Duration) async {
        while !Task.isCancelled {
            evict()
            do {
                try inventory.persist()
            } catch {
                logger.warning("cannot persist blob access times", metadata: ["error": "\(error)"])
            }
            do {
                try await Task.sleep(for: interval)
            } catch {
                break
            }
        }
        try? inventory.persist()
    }
}
