import Foundation
import Synchronization

/// Answers "is this subscriber still allowed in?" for every request that carries a
/// token, re-reading the database at most every `lifetime` seconds per user, so a
/// suspension stops pulls within seconds rather than at token expiry.
public final class ActiveUserCache: Sendable {
    let users: any UserRepository
    let lifetime: TimeInterval
    let now: @Sendable () -> Date
    private let entries = Mutex<[String: (active: Bool, checked: Date)]>([:])

    /// Creates the cache.
    public init(users: any UserRepository, lifetime: TimeInterval = 5, now: @escaping @Sendable () -> Date = Date.init) {
        self.users = users
        self.lifetime = lifetime
        self.now = now
    }

    /// Whether `username` exists and is active.
    public func isActive(_ username: String) async throws -> Bool {
        let now = now()
        if let entry = entries.withLock({ $0[username] }), now.timeIntervalSince(entry.checked) < lifetime {
            return entry.active
        }
        let active = try await users.user(named: username)?.status == .active
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[username] = (active, now)
        }
        return active
    }
}

/// Resolves mirror-key host labels to subscribers, caching answers for `lifetime`
/// seconds (so a revoked key or suspended user stops working within seconds).
public final class MirrorKeyResolver: Sendable {
    let accounts: AccountService
    let lifetime: TimeInterval
    let now: @Sendable () -> Date
    private let entries = Mutex<[String: (username: String?, checked: Date)]>([:])

    /// Creates the resolver.
    public init(accounts: AccountService, lifetime: TimeInterval = 5, now: @escaping @Sendable () -> Date = Date.init) {
        self.accounts = accounts
        self.lifetime = lifetime
        self.now = now
    }

    /// The active subscriber owning `key`, or nil.
    public func username(forKey key: String) async throws -> String? {
        let now = now()
        if let entry = entries.withLock({ $0[key] }), now.timeIntervalSince(entry.checked) < lifetime {
            return entry.username
        }
        let username = try await accounts.userForMirrorKey(key)?.username
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = (username, now)
        }
        return username
    }
}
