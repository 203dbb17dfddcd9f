#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOPosix
import Synchronization

/// The threads that run Argon2, and only Argon2: a flood of login attempts then queues
/// here, never in front of the blob cache's file I/O (which has pools of its own).
///
/// Its threads run at the lowest CPU priority (nice 19, on Linux): when logins and
/// downloads want the same cores, downloads win, and hashing takes what is left.
///
/// The queue is bounded: past `maximumQueued` jobs waiting or running, `run` throws
/// `PasswordHashingBusy` at once instead of adding seconds of backlog, and the caller
/// answers "try again" (429).
public final class PasswordHashingPool: Sendable {
    let threadPool: NIOThreadPool
    public let threads: Int
    public let maximumQueued: Int
    private let queued = Atomic<Int>(0)

    /// Starts `threads` threads (default: half the cores, at least one, so hashing never
    /// takes every core from serving).
    public init(threads: Int = max(1, System.coreCount / 2), maximumQueued: Int = 64) {
        self.threads = max(1, threads)
        self.maximumQueued = max(1, maximumQueued)
        threadPool = NIOThreadPool(numberOfThreads: self.threads)
        threadPool.start()
    }

    deinit {
        threadPool.shutdownGracefully { _ in }
    }

    /// Jobs waiting or running right now.
    public var load: Int { queued.load(ordering: .relaxed) }

    /// Runs `body` on the pool, or throws `PasswordHashingBusy` when the queue is full.
    func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        let before = queued.wrappingAdd(1, ordering: .relaxed).oldValue
        defer { queued.wrappingSubtract(1, ordering: .relaxed) }
        guard before < maximumQueued else { throw PasswordHashingBusy() }
        return try await threadPool.runIfActive {
            Self.yieldCPUToServing()
            return try body()
        }
    }

    /// Gives the calling pool thread the lowest CPU priority (a syscall of about a
    /// microsecond, against ~20 ms of Argon2; repeated per job, so no thread setup hook
    /// is needed). On Linux the nice value belongs to the thread, and `who` 0 is the
    /// calling thread, so the server's other threads keep theirs.
    private static func yieldCPUToServing() {
        #if canImport(Glibc)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        #endif
    }
}

/// Too many password checks are queued; the caller should answer 429 and let the
/// client retry shortly.
public struct PasswordHashingBusy: Error, Sendable, Equatable {}
