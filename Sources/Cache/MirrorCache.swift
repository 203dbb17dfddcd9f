import Foundation
import Logging
import ServiceLifecycle

/// The local cache over one data directory, assembled: its stores, index and budget,
/// the blob and manifest caches that serve from them, what `ferry cache` does to them,
/// and the background services that keep them (the download loop, index flushes and
/// eviction). The server and the CLI open it the same way.
public struct MirrorCache: Sendable {
    public let layout: CacheLayout
    public let blobStore: FileSystemBlobStore
    public let manifestStore: FileSystemManifestStore
    public let inventory: CacheInventory
    /// Keeps the cache within its budget; nil means unlimited.
    public let evictor: CacheEvictor?
    public let blobs: PullThroughBlobCache
    public let manifests: PullThroughManifestCache
    /// `ferry cache stats|gc|purge`.
    public let maintenance: CacheMaintenance
    /// Held for the cache's lifetime: no second server shares the directory.
    let lock: DataDirectoryLock?

    /// What a cache is opened with.
    public struct Settings: Sendable {
        /// Bytes the cache may hold; nil is unlimited.
        public var budget: Int64?
        /// Eviction goes down to this fraction of the budget.
        public var lowWaterFraction: Double = 0.9
        /// Bytes of disk downloads leave free.
        public var minimumFree: Int64 = 0
        /// Seconds a tag is served before it is revalidated.
        public var tagRevalidation: TimeInterval = 300
        /// Take the data directory's lock (a server does; tests sharing nothing need not).
        public var exclusive = true

        /// Settings with the defaults above.
        public init(budget: Int64? = nil, lowWaterFraction: Double = 0.9, minimumFree: Int64 = 0, tagRevalidation: TimeInterval = 300, exclusive: Bool = true) {
            self.budget = budget
            self.lowWaterFraction = lowWaterFraction
            self.minimumFree = minimumFree
            self.tagRevalidation = tagRevalidation
            self.exclusive = exclusive
        }
    }

    /// What the cache tells the rest of the server.
    public struct Observers: Sendable {
        /// Bytes each successful download fetched from which upstream (for metering).
        public var fetched: @Sendable (_ upstream: String, _ bytes: Int64) -> Void = { _, _ in }
        /// Bytes of every eviction (for metrics).
        public var evicted: @Sendable (Int64) -> Void = { _ in }

        /// Observers that ignore everything.
        public init(fetched: @escaping @Sendable (_ upstream: String, _ bytes: Int64) -> Void = { _, _ in }, evicted: @escaping @Sendable (Int64) -> Void = { _ in }) {
            self.fetched = fetched
            self.evicted = evicted
        }
    }

    /// Opens (creating) the cache under `layout`: closes the directory to other users,
    /// takes its lock, opens the index (reading only its totals, however large the cache)
    /// and removes temporary files a crash left. Throws `DataDirectoryInUse` when another server holds it.
    public static func open(
        _ layout: CacheLayout, settings: Settings, pools: BlobIOPools = .shared, shared: SharedStorage? = nil, observers: Observers = Observers(),
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) throws -> MirrorCache {
        try FileSystemBlobStore.makeDirectory(layout.root)
        DataDirectoryPermissions.closeDirectory(layout)
        var lock: DataDirectoryLock?
        if settings.exclusive {
            guard let taken = try DataDirectoryLock.acquire(layout) else { throw DataDirectoryInUse(layout: layout) }
            lock = taken
        }
        let blobStore = try FileSystemBlobStore(layout: layout, reserve: settings.minimumFree, pools: pools)
        let inventory = try CacheInventory.open(layout, logger: logger, now: now)
        DataDirectoryPermissions.closeIndex(layout)
        let manifestStore = try FileSystemManifestStore(layout: layout, inventory: inventory)
        let removed = try blobStore.removeTemporaryFiles()
        if removed > 0 { logger.notice("removed leftover temporary files", metadata: ["count": "\(removed)"]) }
        let evictor = settings.budget.map { budget in
            CacheEvictor(
                inventory: inventory, manifests: manifestStore, budget: budget, lowWaterFraction: settings.lowWaterFraction, logger: logger, evicted: observers.evicted
            )
        }
        if let evictor {
            logger.info("cache budget", metadata: [
                "budget": "\(evictor.budget)", "low-water": "\(evictor.lowWater)", "cached": "\(inventory.totalBytes)", "blobs": "\(inventory.count)",
                "index": "\(inventory.needsReconciliation ? "reconciling in the background" : "up to date")",
            ])
        }
        return MirrorCache(
            layout: layout, blobStore: blobStore, manifestStore: manifestStore, inventory: inventory, evictor: evictor,
            blobs: PullThroughBlobCache(store: blobStore, logger: logger, inventory: inventory, evictor: evictor, shared: shared, fetched: observers.fetched),
            manifests: PullThroughManifestCache(store: manifestStore, revalidationInterval: settings.tagRevalidation, logger: logger, now: now),
            maintenance: CacheMaintenance(blobs: blobStore, manifests: manifestStore, inventory: inventory, logger: logger),
            lock: lock
        )
    }

    /// Keeps the index: buffered access times written and eviction every few seconds,
    /// reconciliation after a crash, a clean close (and the directory's lock released)
    /// on shutdown. Start it before the download loop, so it stops after the downloads
    /// under way have finished and been recorded.
    public func indexService(logger: Logger) -> CacheInventoryService {
        CacheInventoryService(inventory: inventory, evictor: evictor, logger: logger, lock: lock)
    }

    /// The download loop: on shutdown it takes no new downloads and lets the running
    /// ones finish.
    public var downloadService: BlobDownloadService {
        BlobDownloadService(cache: blobs)
    }
}
