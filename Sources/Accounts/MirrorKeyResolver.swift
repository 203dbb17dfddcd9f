import Foundation
import Synchronization

/// Resolves mirror-key host labels to subscribers, caching answers for `lifetime`
/// seconds (so a revoked key or suspended user stops working within seconds).
///
/// Every unknown key costs a database query, so misses are throttled per client
/// network (and per IPv6 /48): a client that keeps trying labels that are no key is
/// told to wait.
public final class MirrorKeyResolver: Sendable {
    /// What a host label turned out to be.
    public enum Resolution: Sendable, Equatable {
        /// The key's owner, by id and name.
        case user(id: Int64, username: String)
        /// Unknown, revoked, or its user is suspended.
        case unknown
        /// Too many unknown keys from this client lately.
        case throttled(retryAfter: Int)
    }

    let accounts: AccountService
    let lifetime: TimeInterval
    /// Misses per client network (an IPv4 address or IPv6 /64).
    let misses: LoginThrottle
    /// Misses per IPv6 /48, with a higher ceiling.
    let wideMisses: LoginThrottle
    let now: @Sendable () -> Date
    private let entries = Mutex<[String: (owner: Resolution?, checked: Date)]>([:])

    /// Creates the resolver.
    public init(
        accounts: AccountService, lifetime: TimeInterval = 5,
        misses: LoginThrottle = LoginThrottle(maxFailures: 30, window: 600, baseLockout: 60, maxLockout: 900),
        wideMisses: LoginThrottle = LoginThrottle(maxFailures: 120, window: 600, baseLockout: 60, maxLockout: 900),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.accounts = accounts
        self.lifetime = lifetime
        self.misses = misses
        self.wideMisses = wideMisses
        self.now = now
    }

    /// The active subscriber owning `key`, for a request from `clientAddress` (an IPv4
    /// address or IPv6 /64).
    public func resolve(key: String, clientAddress: String?) async throws -> Resolution {
        let now = now()
        if let entry = entries.withLock({ $0[key] }), now.timeIntervalSince(entry.checked) < lifetime {
            return entry.owner ?? .unknown
        }
        let client = ["client:\(clientAddress ?? "-")"]
        let wide = clientAddress.flatMap(ClientNetwork.wideKey).map { ["client48:\($0)"] } ?? []
        if let wait = misses.reserve(client, now: now) { return .throttled(retryAfter: wait) }
        if let wait = wideMisses.reserve(wide, now: now) {
            misses.settle(client, failed: false, now: now)
            return .throttled(retryAfter: wait)
        }
        let owner: Resolution?
        do {
            owner = try await accounts.userForMirrorKey(key, clientAddress: clientAddress).map { Resolution.user(id: $0.id, username: $0.username) }
        } catch {
            misses.settle(client, failed: false, now: now)
            wideMisses.settle(wide, failed: false, now: now)
            throw error
        }
        misses.settle(client, failed: owner == nil, now: now)
        wideMisses.settle(wide, failed: owner == nil, now: now)
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = (owner, now)
        }
        return owner ?? .unknown
    }
}
