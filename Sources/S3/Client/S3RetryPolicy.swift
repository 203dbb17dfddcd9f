/// How failed requests are retried: a bounded number of attempts with exponential backoff
/// and jitter.
///
/// Only retryable failures (see ``S3Error/isRetryable``) of requests whose body can be sent
/// again are retried. The delay before attempt `n + 1` is `jitter(min(maxDelay, baseDelay·2ⁿ⁻¹))`.
/// `sleep` and `jitter` are injectable so tests can run without waiting or randomness.
public struct S3RetryPolicy: Sendable {
    /// Attempts in all, including the first (at least 1).
    public var maxAttempts: Int
    /// The delay ceiling before the second attempt.
    public var baseDelay: Duration
    /// The largest delay ceiling.
    public var maxDelay: Duration
    /// Turns a delay ceiling into the delay actually waited (default: uniform in 0…ceiling).
    public var jitter: @Sendable (Duration) -> Duration
    /// Waits; throws when the task is cancelled (default: `Task.sleep(for:)`).
    public var sleep: @Sendable (Duration) async throws -> Void

    /// Creates a policy.
    public init(
        maxAttempts: Int = 4,
        baseDelay: Duration = .milliseconds(100),
        maxDelay: Duration = .seconds(5),
        jitter: @escaping @Sendable (Duration) -> Duration = S3RetryPolicy.fullJitter,
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.jitter = jitter
        self.sleep = sleep
    }

    /// Four attempts, 100 ms base, 5 s ceiling, full jitter.
    public static var standard: S3RetryPolicy { S3RetryPolicy() }

    /// A single attempt: nothing is retried.
    public static var none: S3RetryPolicy { S3RetryPolicy(maxAttempts: 1) }

    /// A uniformly random delay between zero and the ceiling ("full jitter").
    public static let fullJitter: @Sendable (Duration) -> Duration = { ceiling in
        let nanoseconds = max(0, ceiling.nanoseconds)
        return .nanoseconds(Int64.random(in: 0...nanoseconds))
    }

    /// The delay ceiling after `failedAttempt` failures (1-based).
    public func delayCeiling(afterAttempt failedAttempt: Int) -> Duration {
        var delay = baseDelay
        var step = 1
        while step < failedAttempt, delay < maxDelay {
            delay *= 2
            step += 1
        }
        return min(delay, maxDelay)
    }
}

extension Duration {
    /// The duration in whole nanoseconds, saturating.
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        if overflow {
            return seconds < 0 ? .min : .max
        }
        return scaled &+ attoseconds / 1_000_000_000
    }
}
