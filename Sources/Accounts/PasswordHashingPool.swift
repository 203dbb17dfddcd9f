#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// The threads that run Argon2, and only Argon2: a flood of login attempts then queues
/// here, never in front of the blob cache's file I/O (which has pools of its own).
///
/// Password checks have a global budget:
/// - **CPU.** Argon2 may use at most `coreBudget` cores' worth of CPU time, measured per
///   job with the thread's CPU clock: when the budget is spent, the next job waits on its
///   (dedicated) thread until it has refilled. Its threads also run at the lowest CPU
///   priority (nice 19, on Linux), so when logins and downloads want the same cores,
///   downloads win.
/// - **Queue.** Past `maximumQueued` jobs waiting or running, `run` throws
///   `PasswordHashingBusy` at once (the caller answers 429 with the time the queue needs
///   to drain) instead of adding seconds of backlog.
/// - **Fairness.** One client network (an IPv4 address or IPv6 /64) may hold at most
///   `maximumPerNetwork` of the queue and one IPv6 /48 `maximumPerWideNetwork`, so a
///   flood from one place leaves room for everyone else; and `reservedForPriority` slots
///   are kept for priority jobs (logins from a place where the user logged in before),
///   so a flood from many places does not lock subscribers out of their usual ones.
///
/// Cached logins, access tokens, refresh tokens and mirror keys never come here.
public final class PasswordHashingPool: Sendable {
    let threadPool: NIOThreadPool
    public let threads: Int
    public let maximumQueued: Int
    /// Argon2 CPU time per second of wall time, in cores.
    public let coreBudget: Double
    public let maximumPerNetwork: Int
    public let maximumPerWideNetwork: Int
    public let reservedForPriority: Int
    private let queue = Mutex(QueueState())
    private let budget: Mutex<BudgetState>

    private struct QueueState {
        var total = 0
        var perNetwork: [String: Int] = [:]
        /// Moving average of a job's CPU seconds (for the wait a refusal announces).
        var averageCost = 0.03
        /// CPU seconds spent by every job so far, and by the largest one.
        var spent = 0.0
        var largest = 0.0
    }

    private struct BudgetState {
        /// CPU seconds that may be spent before the next job waits (negative: owed).
        var available: Double
        var refilled: ContinuousClock.Instant
    }

    /// Starts the pool. `coreBudget` (default 1: at most one core's worth) sets the
    /// threads too: as many as the budget has whole cores, at least one.
    public init(
        coreBudget: Double = 1, maximumQueued: Int = 64, threads: Int? = nil, maximumPerNetwork: Int? = nil, maximumPerWideNetwork: Int? = nil,
        reservedForPriority: Int? = nil
    ) {
        self.coreBudget = max(0.01, coreBudget)
        self.threads = max(1, threads ?? min(System.coreCount, Int(self.coreBudget.rounded(.up))))
        self.maximumQueued = max(1, maximumQueued)
        self.maximumPerNetwork = max(1, maximumPerNetwork ?? self.maximumQueued / 16)
        self.maximumPerWideNetwork = max(1, maximumPerWideNetwork ?? self.maximumQueued / 4)
        self.reservedForPriority = min(self.maximumQueued - 1, max(0, reservedForPriority ?? self.maximumQueued / 4))
        budget = Mutex(BudgetState(available: Self.burst(self.coreBudget), refilled: .now))
        threadPool = NIOThreadPool(numberOfThreads: self.threads)
        threadPool.start()
    }

    /// The pool the earlier API made: `threads` threads, no CPU cap beyond them.
    public convenience init(threads: Int, maximumQueued: Int) {
        self.init(coreBudget: Double(max(1, threads)), maximumQueued: maximumQueued, threads: threads)
    }

    deinit {
        threadPool.shutdownGracefully { _ in }
    }

    /// Jobs waiting or running right now.
    public var load: Int { queue.withLock { $0.total } }

    /// CPU seconds the jobs have used so far (for tests and the benchmark).
    public var cpuSpent: Double { queue.withLock { $0.spent } }
    /// The CPU seconds of the costliest job so far.
    var largestJob: Double { queue.withLock { $0.largest } }
    /// CPU seconds that may be spent at once after an idle spell.
    var burst: Double { Self.burst(coreBudget) }

    /// Runs `body` on the pool for `client`, or throws `PasswordHashingBusy` when the
    /// queue (or the client's share of it) is full.
    func run<T: Sendable>(for client: PasswordCheckClient = .unknown, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        let keys = shares(of: client)
        try admit(client, keys: keys)
        defer { release(keys) }
        return try await threadPool.runIfActive { [self] in
            Self.yieldCPUToServing()
            waitForBudget()
            let started = Self.threadCPUTime()
            defer { charge(Self.threadCPUTime() - started) }
            return try body()
        }
    }

    /// The queue shares `client` counts against, with their limits.
    private func shares(of client: PasswordCheckClient) -> [(key: String, limit: Int)] {
        guard let network = client.network else { return [] }
        var shares = [(key: "net:\(network)", limit: maximumPerNetwork)]
        if let wide = ClientNetwork.wideKey(of: network) { shares.append((key: "wide:\(wide)", limit: maximumPerWideNetwork)) }
        return shares
    }

    private func admit(_ client: PasswordCheckClient, keys: [(key: String, limit: Int)]) throws {
        let limits = keys.map { ($0.key, client.isPriority ? $0.limit * 2 : $0.limit) }
        try queue.withLock { state in
            let ceiling = client.isPriority ? maximumQueued : maximumQueued - reservedForPriority
            let full = state.total >= ceiling || limits.contains { state.perNetwork[$0.0, default: 0] >= $0.1 }
            if full {
                let drain = Double(state.total) * state.averageCost / coreBudget
                throw PasswordHashingBusy(retryAfter: max(1, Int(drain.rounded(.up))))
            }
            state.total += 1
            for (key, _) in limits { state.perNetwork[key, default: 0] += 1 }
        }
    }

    private func release(_ keys: [(key: String, limit: Int)]) {
        queue.withLock { state in
            state.total -= 1
            for (key, _) in keys {
                let count = state.perNetwork[key, default: 1] - 1
                state.perNetwork[key] = count > 0 ? count : nil
            }
        }
    }

    /// Blocks this pool thread until the CPU budget allows another job.
    private func waitForBudget() {
        while true {
            let wait: Double = budget.withLock { state in
                let now = ContinuousClock.now
                let elapsed = Self.seconds(now - state.refilled)
                state.available = min(Self.burst(coreBudget), state.available + elapsed * coreBudget)
                state.refilled = now
                return state.available >= 0 ? 0 : -state.available / coreBudget
            }
            guard wait > 0 else { return }
            usleep(UInt32(min(wait, 1) * 1_000_000))
        }
    }

    private func charge(_ cpuSeconds: Double) {
        budget.withLock { $0.available -= cpuSeconds }
        queue.withLock { state in
            state.averageCost = state.averageCost * 0.9 + cpuSeconds * 0.1
            state.spent += cpuSeconds
            state.largest = max(state.largest, cpuSeconds)
        }
    }

    /// CPU seconds that may be spent at once after an idle spell: a quarter second's worth.
    private static func burst(_ coreBudget: Double) -> Double { coreBudget * 0.25 }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    /// The calling thread's CPU time in seconds.
    private static func threadCPUTime() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
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

/// Who a password check is for: the client network it came from (an IPv4 address or
/// an IPv6 /64, as the gateway keys clients) and whether it may use the queue slots kept
/// for logins from a known place.
public struct PasswordCheckClient: Sendable, Equatable {
    public var network: String?
    public var isPriority: Bool

    /// A check not tied to a client (the operator's commands, a rehash).
    public static let unknown = PasswordCheckClient(network: nil, isPriority: false)

    /// Creates a client description.
    public init(network: String?, isPriority: Bool = false) {
        self.network = network
        self.isPriority = isPriority
    }
}

/// Too many password checks are queued; the caller should answer 429 and let the
/// client retry after `retryAfter` seconds.
public struct PasswordHashingBusy: Error, Sendable, Equatable {
    public let retryAfter: Int

    /// Creates the error.
    public init(retryAfter: Int = 1) {
        self.retryAfter = retryAfter
    }
}
