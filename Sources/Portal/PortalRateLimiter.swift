import Accounts
import Billing
import Foundation
import Synchronization

/// A modest per-client limit on portal requests (token bucket with a minute's burst),
/// so the pages cannot be used to hammer the database. Sign-in guessing is slowed
/// separately, by the same throttle as the token service. An IPv6 client, keyed by its
/// /64, also takes from its /48's bucket, which holds `wideCeilingFactor` times as much
/// (security review S9: one /48 is 65,536 /64s).
final class PortalRateLimiter: Sendable {
    /// How many clients' worth of requests one IPv6 /48 may make.
    static let wideCeilingFactor = 16

    let requestsPerMinute: Int
    let now: @Sendable () -> Date
    private let buckets = Mutex<[String: TokenBucket]>([:])

    init(requestsPerMinute: Int, now: @escaping @Sendable () -> Date) {
        self.requestsPerMinute = requestsPerMinute
        self.now = now
    }

    /// Takes a request for `client` (and for its /48); throws `tooManyRequests` when
    /// either bucket is empty.
    func admit(_ client: String) throws(PortalError) {
        let now = now()
        let wide = ClientNetwork.wideKey(of: client)
        let wait: TimeInterval? = buckets.withLock { buckets in
            if buckets.count > 50_000 { buckets.removeAll() }
            if let wait = take(from: &buckets, client, perMinute: requestsPerMinute, now: now) { return wait }
            guard let wide else { return nil }
            return take(from: &buckets, "wide " + wide, perMinute: requestsPerMinute * Self.wideCeilingFactor, now: now)
        }
        if let wait { throw .tooManyRequests(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }

    private func take(from buckets: inout [String: TokenBucket], _ key: String, perMinute: Int, now: Date) -> TimeInterval? {
        var bucket = buckets[key] ?? TokenBucket(capacity: Double(perMinute), refillPerSecond: Double(perMinute) / 60, now: now)
        let wait = bucket.take(now: now)
        buckets[key] = bucket
        return wait
    }
}
