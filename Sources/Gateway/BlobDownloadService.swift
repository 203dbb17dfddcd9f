import Cache
import ServiceLifecycle

/// Runs the blob cache's downloads as a service. On graceful shutdown it stops taking
/// new downloads and lets the running ones finish, so no client is cut off mid-blob
/// by a deploy.
public struct BlobDownloadService: Service {
    let cache: PullThroughBlobCache

    /// Creates the service for `cache`.
    public init(cache: PullThroughBlobCache) {
        self.cache = cache
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await cache.run()
        } onGracefulShutdown: {
            cache.finish()
        }
    }
}

/// Runs cache eviction (and persists access times) every 30 seconds; on shutdown it
/// persists the access times one last time.
public struct CacheEvictionService: Service {
    let evictor: CacheEvictor

    /// Creates the service.
    public init(evictor: CacheEvictor) {
        self.evictor = evictor
    }

    public func run() async throws {
        try? await cancelWhenGracefulShutdown {
            await evictor.run(every: .seconds(30))
        }
        try? evictor.inventory.persist()
    }
}
