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

    /// What a purge removed.
    public struct Purge: Codable, Sendable, Equatable {
        /// Tags removed (0 for a digest).
        public var tags: Int
        /// Manifests and blobs removed.
        public var digests: Int
    }

    /// Removes a blob or manifest (`sha256:…`), or a repository's cached tags with the
    /// manifests and blobs they reference (as the upstream names it, e.g.
    /// `library/nginx`). Throws `CacheError(.blobUnknown/.nameUnknown)` when nothing matched.
    public func purge(_ target: String) throws -> Purge {
        if target.contains(":") {
            let digest = try Digest(parsing: target)
            guard CachePurge.remove(digest, blobs: blobs, manifests: manifests, inventory: inventory) else {
                throw CacheError(.blobUnknown, "\(digest) is not in the cache")
            }
            return Purge(tags: 0, digests: 1)
        }
        let repository = try RepositoryName(parsing: target)
        let result = try CachePurge.remove(repository: repository, root: blobs.root, blobs: blobs, manifests: manifests, inventory: inventory)
        guard result.tags > 0 else { throw CacheError(.nameUnknown, "no cached tags for \(repository)") }
        return Purge(tags: result.tags, digests: result.digests)
    }
}
