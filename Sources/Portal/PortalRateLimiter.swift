import Billing
import Foundation
import Synchronization

/// A modest per-client limit on portal requests (token bucket with a minute's burst),
/// so the pages cannot be used to hammer the database. Sign-in guessing is slowed
/// separately, by the same throttle as the token service.
final class PortalRateLimiter: Sendable {
    let requestsPerMinute: Int
    let now: @Sendable () -> Date
    private let buckets = Mutex<[String: TokenBucket]>([:])

    init(requestsPerMinute: Int, now: @escaping @Sendable () -> Date) {
        self.requestsPerMinute = requestsPerMinute
        self.now = now
    }

    /// Takes a request for `client`; throws `tooManyRequests` when its bucket is empty.
    func admit(_ client: String) throws(PortalError) {
        let now = now()
        let wait: TimeInterval? = buckets.withLock { buckets in
            if buckets.count > 50_000 { buckets.removeAll() }
            var bucket = buckets[client] ?? TokenBucket(capacity: Double(requestsPerMinute), refillPerSecond: Double(requestsPerMinute) / 60, now: now)
            let wait = bucket.take(now: now)
            buckets[client] = bucket
            return wait
        }
        if let wait { throw .tooManyRequests(retryAfter: max(1, Int(wait.rounded(.up)))) }
    }
}
