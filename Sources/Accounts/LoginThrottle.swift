import Foundation
import Synchronization

/// Slows down password guessing: after `maxFailures` failed logins within `window`
/// for a key (a username at a client network, a client network, a username), that key
/// is locked out, for `baseLockout` seconds at first and twice as long for each further
/// failure, up to `maxLockout`.
///
/// Attempts are reserved before they are checked (`reserve`) and settled afterwards
/// (`settle`), so concurrent guesses count while they are still running: however many
/// arrive at once, at most `maxFailures` are ever evaluated per key and window.
/// Pure bookkeeping with an injected clock; no I/O.
public final class LoginThrottle: Sendable {
    public let maxFailures: Int
    public let window: TimeInterval
    public let baseLockout: TimeInterval
    public let maxLockout: TimeInterval
    /// Keys tracked before stale ones are dropped (bounds memory under a flood).
    static let maximumKeys = 100_000

    private struct Record {
        var failures = 0
        var inFlight = 0
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
            keys.compactMap { key in records[key].flatMap { remainingLockout($0, now: now) } }.max()
        }
    }

    /// Reserves one attempt on every key, atomically: returns nil when the attempt may
    /// go ahead (then call `settle` exactly once), or the seconds to wait when a key is
    /// locked or already has as many attempts running as failures it may still take.
    public func reserve(_ keys: [String], now: Date) -> Int? {
        guard !keys.isEmpty else { return nil }
        return records.withLock { records in
            var wait: Int?
            for key in keys {
                guard var record = records[key] else { continue }
                expireOldFailures(&record, now: now)
                records[key] = record
                if let remaining = remainingLockout(record, now: now) {
                    wait = max(wait ?? 0, remaining)
                } else if record.failures + record.inFlight >= maxFailures, record.failures < maxFailures || record.inFlight > 0 {
                    // Decided by the attempts still running (after a lockout ends, one
                    // attempt at a time).
                    wait = max(wait ?? 0, 1)
                }
            }
            if let wait { return wait }
            prune(&records, now: now)
            for key in keys {
                records[key, default: Record(lastFailure: now)].inFlight += 1
            }
            return nil
        }
    }

    /// Ends a reserved attempt. A failure counts against every key; a success clears
    /// the keys in `clearing` (only those: a success must not reset a count an attacker
    /// shares with the user, such as the per-username one).
    public func settle(_ keys: [String], failed: Bool, clearing: [String] = [], now: Date) {
        records.withLock { records in
            for key in keys {
                guard var record = records[key] else { continue }
                record.inFlight = max(0, record.inFlight - 1)
                if failed {
                    expireOldFailures(&record, now: now)
                    record.failures += 1
                    record.lastFailure = now
                }
                if !failed, clearing.contains(key) { record.failures = 0 }
                if record.failures == 0 && record.inFlight == 0 {
                    records[key] = nil
                } else {
                    records[key] = record
                }
            }
        }
    }

    /// Number of keys tracked (for tests: memory stays bounded).
    public var trackedKeys: Int { records.withLock { $0.count } }

    private func expireOldFailures(_ record: inout Record, now: Date) {
        if record.failures > 0, now.timeIntervalSince(record.lastFailure) > max(window, lockout(record)) { record.failures = 0 }
    }

    private func remainingLockout(_ record: Record, now: Date) -> Int? {
        let lockout = lockout(record)
        guard lockout > 0 else { return nil }
        let remaining = record.lastFailure.addingTimeInterval(lockout).timeIntervalSince(now)
        return remaining > 0 ? Int(remaining.rounded(.up)) : nil
    }

    private func lockout(_ record: Record) -> TimeInterval {
        guard record.failures >= maxFailures else { return 0 }
        let doublings = min(record.failures - maxFailures, 20)
        return min(baseLockout * pow(2, Double(doublings)), maxLockout)
    }

    /// Drops records that no longer lock anything once there are too many; if an active
    /// flood keeps them all fresh, the oldest half goes (a flood then costs the
    /// attacker their own lockouts first, never unbounded memory).
    private func prune(_ records: inout [String: Record], now: Date) {
        guard records.count >= Self.maximumKeys else { return }
        records = records.filter { $0.value.inFlight > 0 || now.timeIntervalSince($0.value.lastFailure) < window + maxLockout }
        if records.count >= Self.maximumKeys {
            let cutoff = records.values.map(\.lastFailure).sorted()[records.count / 2]
            records = records.filter { $0.value.inFlight > 0 || $0.value.lastFailure >= cutoff }
        }
    }
}
