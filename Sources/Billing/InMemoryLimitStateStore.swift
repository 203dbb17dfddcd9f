import Foundation
import Synchronization

/// Limit states kept in memory: for tests, and for gateways whose limits need not
/// survive a restart.
public final class InMemoryLimitStateStore: LimitStateStore {
    private let states = Mutex<[Int64: LimitState]>([:])

    /// An empty store.
    public init() {}

    public func limitState(userID: Int64) async throws -> LimitState? {
        states.withLock { $0[userID] }
    }

    public func saveLimitStates(_ states: [Int64: LimitState], now: Date) async throws {
        self.states.withLock { $0.merge(states) { $1 } }
    }
}
