import Foundation
import Synchronization

/// Slows down password guessing: after `maxFailures` failed logins within `window`
/// for a key (a username, a client IP), that key is locked out, for `baseLockout`
/// seconds at first and twice as long for each further failure, up to `maxLockout`.
/// Pure bookkeeping with an injected clock; no I/O.
public final class LoginThrottle: Sendable {
    public let maxFailures: Int
    public let window: TimeInterval
    public let baseLockout: TimeInterval
    public let maxLockout: TimeInterval

    private struct Record {
        var failures: Int
        var lastFailure: Date
    }

    private let records = Mutex<[String: Record]>([:])

    /// Creates a throttle.
    public init(maxFailures: Int = 5, window: TimeInterval = 900, baseLockout: TimeInterval = 30, maxLockout: TimeInterval = 900) {
        self.maxFailures = maxFailures
        self.window = window
        self.baseLockout = baseLockout
        self.maxLockout = maxLockout
    }

    /// Seconds until the most locked of `keys` may try again, or nil when none is locked.
    public func retryAfter(_ keys: [String], now: Date) -> Int? {
        records.withLock { records in
            keys.compactMap { key -> Int? in
                guard let record = records[key], let until = lockedUntil(record) else { return nil }
                let remaining = until.timeIntervalSince(now)
                return remaining > 0 ? Int(remaining.rounded(.up)) : nil
            }.max()
        }
    }

    /// Counts a failed attempt against every key.
    public func recordFailure(_ keys: [String], now: Date) {
        records.withLock { records in
            if records.count > 100_000 {
                records = records.filter { now.timeIntervalSince($0.value.lastFailure) < window + maxLockout }
            }
            for key in keys {
                var record = records[key] ?? Record(failures: 0, lastFailure: now)
                if now.timeIntervalSince(record.lastFailure) > max(window, lockout(record)) { record.failures = 0 }
                record.failures += 1
                record.lastFailure = now
                records[key] = record
            }
        }
    }

    /// Clears a key after a successful login.
    public func recordSuccess(_ key: String) {
        _ = records.withLock { $0.removeValue(forKey: key) }
    }

    private func lockout(_ record: Record) -> TimeInterval {
        guard record.failures >= maxFailures else { return 0 }
        let doublings = min(record.failures - maxFailures, 20)
        return min(baseLockout * pow(2, Double(doublings)), maxLockout)
    }

    private func lockedUntil(_ record: Record) -> Date? {
        let lockout = lockout(record)
        return lockout > 0 ? record.lastFailure.addingTimeInterval(lockout) : nil
    }
}
