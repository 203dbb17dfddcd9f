import Foundation

extension SubscriberLimits {
    /// The refusal of a download over quota, saying when that changes: on the day the
    /// window resets; in the period's last window only if the subscription is renewed;
    /// in grace days (which count in the last window) only by renewing.
    func quotaRefusal(_ standing: Standing, today: CalendarDay) -> LimitRefusal {
        let subscription = standing.subscription
        let quota = "monthly transfer quota of \(Self.bytes(standing.plan.monthlyQuotaBytes)) used up"
        guard today < subscription.periodEnd else {
            return LimitRefusal(
                reason: .quota,
                message: "\(quota); the subscription ended on \(subscription.periodEnd) and renewing it starts a new quota",
                retryAfter: Self.retryAfterRenewal
            )
        }
        let reset = subscription.quotaResetDay(on: today, calendar: calendar)
        let retryAfter = max(1, Int(calendar.start(of: reset).timeIntervalSince(now())))
        if reset < subscription.periodEnd {
            return LimitRefusal(reason: .quota, message: "\(quota); it resets on \(reset)", retryAfter: retryAfter)
        }
        if subscription.cancelledAt != nil {
            return LimitRefusal(reason: .quota, message: "\(quota); the subscription ends on \(reset)", retryAfter: retryAfter)
        }
        return LimitRefusal(reason: .quota, message: "\(quota); it resets on \(reset) if the subscription is renewed", retryAfter: retryAfter)
    }

    /// `Retry-After` when only a renewal (an operator recording a payment) can help.
    static let retryAfterRenewal = 3600

    /// Adds bytes just sent to the user's quota usage.
    public func addServed(userID: Int64, bytes: Int) {
        users.withLock { users in users[userID]?.quotaBytes += Int64(bytes) }
    }

    /// Bytes used in the quota window of today (in grace days, the period's last window,
    /// which then includes today).
    public func quotaUsed(_ standing: Standing) async throws -> Int64 {
        let now = now()
        let window = standing.subscription.quotaWindow(on: calendar.day(of: now), calendar: calendar)
        let cached: Int64? = users.withLock { users in
            guard let state = users[standing.userID], state.quotaWindowStart == window.start,
                  let loaded = state.quotaLoaded, now.timeIntervalSince(loaded) < quotaReload
            else { return nil }
            return state.quotaBytes
        }
        if let cached { return cached }
        let flushed = try await source.bytesServed(userID: standing.userID, from: window.start, to: window.end)
        let total = flushed + meter.unflushedBytes(userID: standing.userID, from: window.start)
        users.withLock { users in
            var state = users[standing.userID] ?? UserState()
            state.quotaWindowStart = window.start
            state.quotaBytes = total
            state.quotaLoaded = now
            users[standing.userID] = state
        }
        return total
    }
}
