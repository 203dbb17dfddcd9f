import NIOCore
import NIOPosix

/// The threads the cache's file I/O runs on: reads and writes on `io`, fsync on
/// `sync`, so a commit's long fsync never delays a cache hit. Neither is the pool that
/// hashes passwords (`Accounts.PasswordHashingPool`), so a login flood never stalls a
/// download either.
public struct BlobIOPools: Sendable {
    /// `pread`/`pwrite` of blob chunks.
    public let io: NIOThreadPool
    /// `fsync` before a blob is published.
    public let sync: NIOThreadPool

    /// Uses the given pools (they must be started).
    public init(io: NIOThreadPool, sync: NIOThreadPool) {
        self.io = io
        self.sync = sync
    }

    /// Starts two dedicated pools; the server runs with these for its lifetime.
    public static func start(ioThreads: Int = max(2, System.coreCount), syncThreads: Int = 2) -> BlobIOPools {
        let io = NIOThreadPool(numberOfThreads: ioThreads)
        let sync = NIOThreadPool(numberOfThreads: syncThreads)
        io.start()
        sync.start()
        return BlobIOPools(io: io, sync: sync)
    }

    /// NIO's shared pool for both: for tests and short-lived CLI commands, where no
    /// fsync competes with serving.
    public static let shared = BlobIOPools(io: .singleton, sync: .singleton)
}
