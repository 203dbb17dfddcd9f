import Foundation

/// A token bucket: `capacity` tokens, refilled at `refillPerSecond`; a request takes
/// one. Pure state: the caller passes the time.
public struct TokenBucket: Sendable, Equatable {
    public let capacity: Double
    public let refillPerSecond: Double
    public private(set) var tokens: Double
    public private(set) var updated: Date

    /// A full bucket at `now`.
    public init(capacity: Double, refillPerSecond: Double, now: Date) {
        self.init(capacity: capacity, refillPerSecond: refillPerSecond, tokens: capacity, updated: now)
    }

    /// A bucket holding `tokens` (at most `capacity`) as of `updated`, as it was stored.
    public init(capacity: Double, refillPerSecond: Double, tokens: Double, updated: Date) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = min(capacity, max(0, tokens))
        self.updated = updated
    }

    /// The same bucket under a new capacity and rate (a plan change): it keeps the
    /// tokens it holds at `now` (at most the new capacity), so a change never refills it.
    public func resized(capacity: Double, refillPerSecond: Double, now: Date) -> TokenBucket {
        var current = self
        current.refill(now: now)
        return TokenBucket(capacity: capacity, refillPerSecond: refillPerSecond, tokens: current.tokens, updated: current.updated)
    }

    /// Takes a token if there is one; otherwise returns the seconds until there is.
    public mutating func take(now: Date) -> TimeInterval? {
        refill(now: now)
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / refillPerSecond
    }

    private mutating func refill(now: Date) {
        let elapsed = max(0, now.timeIntervalSince(updated))
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
        updated = now
    }
}

/// At most `limit` events per window of `length` seconds, the window starting with the
/// first event after the previous one ended (Docker Hub's pull limit works this way).
public struct WindowCounter: Sendable, Equatable {
    public let limit: Int
    public let length: TimeInterval
    public private(set) var windowStart: Date?
    public private(set) var count = 0

    /// Creates an empty counter.
    public init(limit: Int, length: TimeInterval) {
        self.limit = limit
        self.length = length
    }

    /// A counter whose window opened at `windowStart` with `count` events, as it was stored.
    public init(limit: Int, length: TimeInterval, windowStart: Date?, count: Int) {
        self.limit = limit
        self.length = length
        self.windowStart = windowStart
        self.count = windowStart == nil ? 0 : max(0, count)
    }

    /// The same window under a new limit or length (a plan change): the events already
    /// counted stay counted.
    public func resized(limit: Int, length: TimeInterval) -> WindowCounter {
        WindowCounter(limit: limit, length: length, windowStart: windowStart, count: count)
    }

    /// Counts an event unless the window is full; returns the seconds until it resets
    /// when refused.
    public mutating func record(now: Date) -> TimeInterval? {
        resetIfOver(now: now)
        if windowStart == nil { windowStart = now }
        guard count < limit else { return windowStart!.addingTimeInterval(length).timeIntervalSince(now) }
        count += 1
        return nil
    }

    /// Events left in the current window.
    public mutating func remaining(now: Date) -> Int {
        resetIfOver(now: now)
        return max(0, limit - count)
    }

    private mutating func resetIfOver(now: Date) {
        if let start = windowStart, now.timeIntervalSince(start) >= length {
            windowStart = nil
            count = 0
        }
    }
}
