import Foundation

/// A subscriber's request-rate bucket and manifest-pull window, as kept between restarts.
public struct LimitState: Sendable, Equatable {
    /// Tokens in the request-rate bucket as of `bucketUpdated`.
    public var bucketTokens: Double
    public var bucketUpdated: Date
    /// When the current manifest-pull window opened; nil when none is open.
    public var windowStart: Date?
    /// Manifest pulls counted in the window.
    public var windowCount: Int

    /// Creates a state value.
    public init(bucketTokens: Double, bucketUpdated: Date, windowStart: Date?, windowCount: Int) {
        self.bucketTokens = bucketTokens
        self.bucketUpdated = bucketUpdated
        self.windowStart = windowStart
        self.windowCount = windowCount
    }
}

/// Where request-rate buckets and manifest-pull windows are kept, so that a restart or a
/// deploy does not hand every subscriber a full bucket and a fresh window.
public protocol LimitStateStore: Sendable {
    /// The stored state of a user's limits; nil when nothing is stored.
    func limitState(userID: Int64) async throws -> LimitState?
    /// Stores the states of several users at once, stamped `now`.
    func saveLimitStates(_ states: [Int64: LimitState], now: Date) async throws
}
