import Foundation
import Synchronization

/// A subscriber's plan and subscription, as enforcement needs them.
public struct Standing: Sendable, Equatable {
    public let userID: Int64
    public let username: String
    public let plan: Plan
    public let subscription: Subscription

    /// Creates a standing.
    public init(userID: Int64, username: String, plan: Plan, subscription: Subscription) {
        self.userID = userID
        self.username = username
        self.plan = plan
        self.subscription = subscription
    }
}

/// Where standings come from (PostgreSQL in production).
public protocol StandingSource: Sendable {
    /// The user's plan and subscription; nil when the user has no subscription.
    func standing(userID: Int64) async throws -> Standing?
    /// Bytes served to a user on days in `[from, to)`, as flushed.
    func bytesServed(userID: Int64, from: CalendarDay, to: CalendarDay) async throws -> Int64
}

/// Why a request was refused, with a message naming the limit.
public struct LimitRefusal: Error, Sendable, Equatable {
    public enum Reason: String, Sendable {
        case noSubscription = "subscription"
        case requestRate = "rate"
        case manifestPulls = "manifest_pulls"
        case quota
        case concurrency
    }

    public let reason: Reason
    public let message: String
    /// Seconds until trying again makes sense.
    public let retryAfter: Int?
}

/// Enforces each subscriber's plan: subscription status, request rate (token bucket),
/// manifest pulls per window, the monthly transfer quota and concurrent downloads.
///
/// Standings are re-read at most every `standingLifetime` seconds, so an expired
/// subscription stops pulls within seconds. Quota usage is read back from PostgreSQL
/// (plus what the meter has not flushed yet) and then kept current as bytes are sent.
/// Request-rate buckets and manifest-pull windows are loaded from `states` on a user's
/// first request and written back by `run(every:)`, so all limits survive a restart.
/// Time comes from `now` only.
public final class SubscriberLimits: Sendable {
    let source: any StandingSource
    let states: any LimitStateStore
    let meter: UsageMeter
    public let calendar: BillingCalendar
    public let graceDays: Int
    let standingLifetime: TimeInterval
    let quotaReload: TimeInterval
    let now: @Sendable () -> Date

    struct UserState {
        var bucket: TokenBucket?
        var manifestWindow: WindowCounter?
        /// Whether the stored bucket and window have been read (on the first request).
        var stateLoaded = false
        var downloads = 0
        var quotaWindowStart: CalendarDay?
        var quotaBytes: Int64 = 0
        var quotaLoaded: Date?
    }

    private let standings = Mutex<[Int64: (standing: Standing?, checked: Date)]>([:])
    let users = Mutex<[Int64: UserState]>([:])
    /// Users whose bucket or window changed since they were last written back.
    let changedUsers = Mutex<Set<Int64>>([])

    /// Creates the enforcer; `states` keeps buckets and windows across restarts.
    public init(
        source: any StandingSource, states: any LimitStateStore = InMemoryLimitStateStore(), meter: UsageMeter, calendar: BillingCalendar, graceDays: Int,
        standingLifetime: TimeInterval = 5, quotaReload: TimeInterval = 60, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.source = source
        self.states = states
        self.meter = meter
        self.calendar = calendar
        self.graceDays = graceDays
        self.standingLifetime = standingLifetime
        self.quotaReload = quotaReload
        self.now = now
    }

    /// The subscriber's plan and subscription (cached for `standingLifetime`), whatever
    /// its status. The first call for a user also loads their stored bucket and window.
    public func standing(userID: Int64) async throws -> Standing? {
        let now = now()
        if let cached = standings.withLock({ $0[userID] }), now.timeIntervalSince(cached.checked) < standingLifetime {
            if let standing = cached.standing { try await loadLimitState(standing) }
            return cached.standing
        }
        let standing = try await source.standing(userID: userID)
        standings.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[userID] = (standing, now)
        }
        if let standing { try await loadLimitState(standing) }
        return standing
    }

    /// The subscriber's standing if their subscription allows access; otherwise a
    /// refusal naming the date it ended (`username` is for the message).
    public func admit(userID: Int64, username: String) async throws -> Standing {
        let now = now()
        guard let standing = try await standing(userID: userID) else {
            throw LimitRefusal(reason: .noSubscription, message: "\(username) has no subscription", retryAfter: nil)
        }
        let today = calendar.day(of: now)
        let status = standing.subscription.status(on: today, graceDays: graceDays, calendar: calendar)
        guard Subscription.allowsAccess(status) else {
            throw LimitRefusal(reason: .noSubscription, message: "subscription for \(username) expired on \(standing.subscription.periodEnd)", retryAfter: nil)
        }
        return standing
    }

    /// Takes a request from the rate bucket (a minute's worth of burst).
    public func admitRequest(_ standing: Standing) throws(LimitRefusal) {
        let now = now()
        let plan = standing.plan
        let capacity = Double(plan.requestsPerMinute)
        let wait: TimeInterval? = users.withLock { users in
            var state = users[standing.userID] ?? UserState()
            var bucket = state.bucket ?? TokenBucket(capacity: capacity, refillPerSecond: capacity / 60, now: now)
            if bucket.capacity != capacity { bucket = bucket.resized(capacity: capacity, refillPerSecond: capacity / 60, now: now) }
            let wait = bucket.take(now: now)
            state.bucket = bucket
            users[standing.userID] = state
            return wait
        }
        changedUsers.withLock { _ = $0.insert(standing.userID) }
        if let wait {
            throw LimitRefusal(reason: .requestRate, message: "request rate limit of \(plan.requestsPerMinute) per minute exceeded", retryAfter: max(1, Int(wait.rounded(.up))))
        }
    }

    /// Counts a manifest pull against the window; returns the pulls left.
    public func admitManifestPull(_ standing: Standing) throws(LimitRefusal) -> Int {
        let now = now()
        let plan = standing.plan
        let (wait, remaining): (TimeInterval?, Int) = users.withLock { users in
            var state = users[standing.userID] ?? UserState()
            var window = Self.manifestWindow(state.manifestWindow, for: plan)
            let wait = window.record(now: now)
            let remaining = window.remaining(now: now)
            state.manifestWindow = window
            users[standing.userID] = state
            return (wait, remaining)
        }
        changedUsers.withLock { _ = $0.insert(standing.userID) }
        if let wait {
            throw LimitRefusal(
                reason: .manifestPulls,
                message: "manifest pull limit of \(plan.manifestPullsPerWindow) per \(Self.duration(plan.manifestWindowSeconds)) reached",
                retryAfter: max(1, Int(wait.rounded(.up)))
            )
        }
        return remaining
    }

    /// The user's manifest-pull window under `plan`: the one counted so far, resized
    /// when the plan changed (its pulls stay counted), or an empty one.
    static func manifestWindow(_ window: WindowCounter?, for plan: Plan) -> WindowCounter {
        let length = TimeInterval(plan.manifestWindowSeconds)
        guard let window else { return WindowCounter(limit: plan.manifestPullsPerWindow, length: length) }
        if window.limit == plan.manifestPullsPerWindow, window.length == length { return window }
        return window.resized(limit: plan.manifestPullsPerWindow, length: length)
    }

    /// Starts a blob download: refused when the monthly quota is used up or too many
    /// downloads already run. The download holds the returned slot until it ends; the
    /// slot is given back by `release()` or, at the latest, when it is dropped.
    public func beginDownload(_ standing: Standing) async throws -> DownloadSlot {
        let used = try await quotaUsed(standing)
        if used >= standing.plan.monthlyQuotaBytes {
            throw quotaRefusal(standing, today: calendar.day(of: now()))
        }
        let userID = standing.userID
        let admitted = users.withLock { users in
            var state = users[userID] ?? UserState()
            guard state.downloads < standing.plan.maxConcurrentDownloads else { return false }
            state.downloads += 1
            users[userID] = state
            return true
        }
        guard admitted else {
            throw LimitRefusal(reason: .concurrency, message: "at most \(standing.plan.maxConcurrentDownloads) downloads at once on this plan", retryAfter: 1)
        }
        return DownloadSlot { [self] in
            users.withLock { users in users[userID]?.downloads -= 1 }
        }
    }

    /// The manifest pulls left in the current window (for headers and `/account/usage`).
    public func manifestPullsRemaining(_ standing: Standing) -> Int {
        let now = now()
        return users.withLock { users in
            var window = Self.manifestWindow(users[standing.userID]?.manifestWindow, for: standing.plan)
            return window.remaining(now: now)
        }
    }

    static func duration(_ seconds: Int) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }

    static func bytes(_ count: Int64) -> String {
        UsageReport.bytes(count)
    }
}
