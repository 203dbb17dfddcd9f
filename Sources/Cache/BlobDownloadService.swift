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
