import Foundation
import Logging
import OCI

/// What `ferry cache stats|gc|purge` do. The running server does it (over its admin
/// socket), with its live inventory, so leases of blobs being read are honoured and its
/// in-memory state and metrics stay right; with no server running, the CLI does the
/// same on the data directory itself.
public struct CacheMaintenance: Sendable {
    public let blobs: FileSystemBlobStore
    public let manifests: FileSystemManifestStore
    public let inventory: CacheInventory
    let logger: Logger

    /// Works on these stores and the cache's inventory.
    public init(blobs: FileSystemBlobStore, manifests: FileSystemManifestStore, inventory: CacheInventory, logger: Logger) {
        self.blobs = blobs
        self.manifests = manifests
        self.inventory = inventory
        self.logger = logger
    }

    /// What the cache holds.
    public struct Stats: Codable, Sendable, Equatable {
        /// Bytes of blobs, manifests and tag records: what `cache.max-size` counts.
        public var bytes: Int64
        public var blobs: Int
        public var manifests: Int
        public var tags: Int?
        public var oldestAccess: Date?
    }

    /// The cache's size and age, from the index's totals (no directory walk).
    public func stats() -> Stats {
        Stats(
            bytes: inventory.totalBytes, blobs: inventory.count, manifests: inventory.count(of: .manifest), tags: inventory.count(of: .tag),
            oldestAccess: inventory.oldestAccess
        )
    }

    /// What a collection did (or, dry, would do).
    public struct Collection: Codable, Sendable, Equatable {
        public var blobs: Int
        public var manifests: Int?
        public var tags: Int?
        public var bytes: Int64
        public var before: Int64
        public var target: Int64
        public var dryRun: Bool
    }

    /// Evicts least recently used blobs, manifests and tags (never a blob being read)
    /// down to `target` bytes.
    public func collect(to target: Int64, dryRun: Bool) async -> Collection {
        await inventory.flush()
        let before = inventory.totalBytes
        let evictor = CacheEvictor(inventory: inventory, manifests: manifests, budget: target, lowWaterFraction: 1, logger: logger)
        let result = await evictor.evict(to: target, dryRun: dryRun)
        return Collection(blobs: result.blobs, manifests: result.manifests, tags: result.tags, bytes: result.bytes, before: before, target: target, dryRun: dryRun)
    }
}
