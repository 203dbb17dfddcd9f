import Synchronization

/// Coalesces concurrent work per key: the first caller (the leader) runs the work,
/// every caller that arrives while it runs waits for and shares its result.
///
/// Used for manifest revalidation and upstream token requests, so a burst of
/// identical requests costs one upstream round trip.
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private typealias Waiter = CheckedContinuation<Result<Value, any Error>?, Never>

    private let flights = Mutex<[Key: [Waiter]]>([:])

    /// Creates an empty coalescer.
    public init() {}

    /// Runs `work` for `key` unless a run for the same key is already under way, in
    /// which case its result (value or error) is shared.
    public func run(_ key: Key, _ work: () async throws -> Value) async throws -> Value {
        while true {
            let isLeader = flights.withLock { flights in
                guard flights[key] == nil else { return false }
                flights[key] = []
                return true
            }
            if isLeader {
                let result: Result<Value, any Error>
                do { result = .success(try await work()) } catch { result = .failure(error) }
                let waiters = flights.withLock { $0.removeValue(forKey: key) ?? [] }
                for waiter in waiters { waiter.resume(returning: result) }
                return try result.get()
            }
            let shared: Result<Value, any Error>? = await withCheckedContinuation { (continuation: Waiter) in
                let joined = flights.withLock { flights in
                    guard flights[key] != nil else { return false }
                    flights[key]!.append(continuation)
                    return true
                }
                if !joined { continuation.resume(returning: nil) }
            }
            guard let shared else { continue }
            // A leader that was cancelled says nothing about the work itself: try again.
            if case .failure(let error) = shared, Self.isCancellation(error), !Task.isCancelled { continue }
            return try shared.get()
        }
    }

    /// Whether `error` only says that the task asking was cancelled.
    static func isCancellation(_ error: any Error) -> Bool {
        error is CancellationError || (error as? UpstreamError) == .cancelled
    }

    /// Callers waiting on the run for `key` (for tests and metrics).
    public func waiters(for key: Key) -> Int { flights.withLock { $0[key]?.count ?? 0 } }

    /// Number of keys with work under way (for tests and metrics).
    public var inFlightCount: Int { flights.withLock { $0.count } }
}
