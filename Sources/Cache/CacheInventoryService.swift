import Logging
import ServiceLifecycle

/// Keeps the cache's index up to date in the background: writes the buffered access
/// times and evicts when over budget every `interval`, reconciles the index with the
/// directories once after a crash (or builds it when it is new) without delaying
/// start-up, and closes it cleanly on shutdown.
public struct CacheInventoryService: Service {
    let inventory: CacheInventory
    let evictor: CacheEvictor?
    let logger: Logger
    let interval: Duration
    /// Pause between two shard directories while reconciling, so a walk over a million
    /// files takes a little longer instead of competing with serving.
    let reconcilePause: Duration
    /// The data directory's lock, held until the index is closed.
    let lock: DataDirectoryLock?

    /// Creates the service.
    public init(
        inventory: CacheInventory, evictor: CacheEvictor?, logger: Logger, interval: Duration = .seconds(5), reconcilePause: Duration = .milliseconds(10),
        lock: DataDirectoryLock? = nil
    ) {
        self.lock = lock
        self.inventory = inventory
        self.evictor = evictor
        self.logger = logger
        self.interval = interval
        self.reconcilePause = reconcilePause
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                if inventory.needsReconciliation {
                    group.addTask {
                        do {
                            try await inventory.reconcile(pause: reconcilePause)
                        } catch {
                            logger.warning("cache index reconciliation stopped; it runs again at the next start", metadata: ["error": "\(error)"])
                        }
                    }
                }
                group.addTask {
                    if let evictor {
                        await evictor.run(every: interval)
                    } else {
                        while !Task.isCancelled {
                            await inventory.flush()
                            try? await Task.sleep(for: interval)
                        }
                    }
                }
            }
        }
        await inventory.close()
        withExtendedLifetime(lock) {}
    }
}
