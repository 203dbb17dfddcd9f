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
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.updated = now
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
