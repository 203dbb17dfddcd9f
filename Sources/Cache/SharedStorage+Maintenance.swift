import Foundation
import OCI

extension SharedStorage {
    /// What the shared store holds, by its index.
    public struct Stats: Codable, Sendable, Equatable {
        public var blobs: Int
        public var bytes: Int64
        /// `cache.shared-max-size`; nil is unlimited.
        public var budget: Int64?
    }

    /// The shared store's totals.
    public func stats(budget: Int64?) async throws -> Stats {
        let (blobs, bytes) = try await index.totals()
        return Stats(blobs: blobs, bytes: bytes, budget: budget)
    }

    /// What an eviction of the shared store did (or, dry, would do).
    public struct Eviction: Codable, Sendable, Equatable {
        public var blobs: Int
        public var bytes: Int64
        public var before: Int64
        public var target: Int64
        public var dryRun: Bool
    }

    /// A blob read (or stored) within this long is never evicted: a server may be
    /// streaming it from the store right now.
    public static let recentlyUsed: Duration = .seconds(600)

    /// Deletes least recently used blobs until the store holds at most `target` bytes,
    /// sparing what was used within `spare`. Each blob is first forgotten by the index
    /// (only if still unused, so a blob just stored or read by another server stays),
    /// then deleted; a blob the index no longer lists is never read, so no server
    /// sees a half-deleted one. Call it from one server of the fleet at a time.
    public func evict(to target: Int64, spare: Duration = SharedStorage.recentlyUsed, dryRun: Bool = false) async throws -> Eviction {
        await flushAccesses()
        let before = try await index.totals().bytes
        var total = before
        var evicted = Eviction(blobs: 0, bytes: 0, before: before, target: target, dryRun: dryRun)
        var seen = Set<Digest>()
        while total > target {
            let candidates = try await index.leastRecentlyUsed(unusedFor: spare, limit: 256).filter { !seen.contains($0.digest) }
            guard !candidates.isEmpty else { break }
            for (digest, size) in candidates where total > target {
                seen.insert(digest)
                if !dryRun {
                    guard try await index.forget(digest, unusedFor: spare) else { continue }
                    _ = try await store.remove(digest)
                }
                total -= size
                evicted.blobs += 1
                evicted.bytes += size
            }
        }
        if evicted.blobs > 0 {
            logger.info(
                dryRun ? "shared store eviction (dry run)" : "shared store evicted",
                metadata: ["blobs": "\(evicted.blobs)", "bytes": "\(evicted.bytes)", "before": "\(before)", "target": "\(target)"]
            )
        }
        return evicted
    }

    /// Removes `digests` from the shared store (index first); returns how many it held.
    public func remove(_ digests: [Digest]) async throws -> Int {
        var removed = 0
        for digest in digests {
            let recorded = try await index.size(of: digest) != nil
            try await index.forget(digest)
            let deleted = try await store.remove(digest)
            if recorded || deleted { removed += 1 }
        }
        return removed
    }
}
