import Foundation

/// Where a subscription stands on a given day.
public enum SubscriptionStatus: String, Sendable, Codable, Equatable {
    /// Paid up: within the period.
    case active
    /// The period ended but the grace days have not; pulls still work.
    case pastDue = "past-due"
    /// No access: the period (and grace) ended.
    case expired
    /// Cancelled by the operator: access until the period ends, no grace.
    case cancelled
}

/// A user's current subscription: a plan and a period of whole calendar months.
public struct Subscription: Sendable, Equatable, Codable {
    public var userID: Int64
    public var planID: Int64
    /// The day of the month periods end on (clamped in short months).
    public var anchorDay: Int
    public var periodStart: CalendarDay
    /// Exclusive: access ends at the start of this day (plus grace).
    public var periodEnd: CalendarDay
    public var cancelledAt: Date?

    /// Creates a subscription value.
    public init(userID: Int64, planID: Int64, anchorDay: Int, periodStart: CalendarDay, periodEnd: CalendarDay, cancelledAt: Date? = nil) {
        self.userID = userID
        self.planID = planID
        self.anchorDay = anchorDay
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.cancelledAt = cancelledAt
    }

    /// The status on `today`, with `graceDays` after the period's end.
    public func status(on today: CalendarDay, graceDays: Int, calendar: BillingCalendar) -> SubscriptionStatus {
        if today < periodEnd { return cancelledAt == nil ? .active : .cancelled }
        if cancelledAt != nil { return .expired }
        return today < calendar.adding(days: graceDays, to: periodEnd) ? .pastDue : .expired
    }

    /// Whether the subscriber may pull in this status.
    public static func allowsAccess(_ status: SubscriptionStatus) -> Bool {
        status != .expired
    }

    /// A new subscription starting on `today` for `months` months.
    public static func starting(userID: Int64, planID: Int64, on today: CalendarDay, months: Int, calendar: BillingCalendar) -> Subscription {
        Subscription(
            userID: userID, planID: planID, anchorDay: today.day, periodStart: today,
            periodEnd: calendar.adding(months: months, to: today, anchorDay: today.day)
        )
    }

    /// Extended by `months` (a renewal or payment): from the period's end when it is
    /// still current (or in grace), otherwise from `today`, starting a fresh period.
    public func renewed(months: Int, on today: CalendarDay, graceDays: Int, calendar: BillingCalendar) -> Subscription {
        var next = self
        next.cancelledAt = nil
        if status(on: today, graceDays: graceDays, calendar: calendar) == .expired {
            next.anchorDay = today.day
            next.periodStart = today
            next.periodEnd = calendar.adding(months: months, to: today, anchorDay: today.day)
        } else {
            next.periodEnd = calendar.adding(months: months, to: periodEnd, anchorDay: anchorDay)
        }
        return next
    }

    /// The start of the month-long window (ending at `periodEnd`) that contains `today`,
    /// over which the quota is counted.
    public func quotaWindowStart(on today: CalendarDay, calendar: BillingCalendar) -> CalendarDay {
        var start = calendar.adding(months: -1, to: periodEnd, anchorDay: anchorDay)
        while start > today, start > periodStart { start = calendar.adding(months: -1, to: start, anchorDay: anchorDay) }
        return max(start, periodStart)
    }

    /// The days whose bytes count against the quota on `today`, `end` exclusive: the
    /// month-long window containing today, or in grace days after `periodEnd` the
    /// period's last window, stretched to include today (grace days are not free).
    public func quotaWindow(on today: CalendarDay, calendar: BillingCalendar) -> (start: CalendarDay, end: CalendarDay) {
        let start = quotaWindowStart(on: today, calendar: calendar)
        let end = calendar.adding(months: 1, to: start, anchorDay: anchorDay)
        return (start, max(end, calendar.adding(days: 1, to: today)))
    }

    /// When the quota window containing `today` resets.
    public func quotaResetDay(on today: CalendarDay, calendar: BillingCalendar) -> CalendarDay {
        calendar.adding(months: 1, to: quotaWindowStart(on: today, calendar: calendar), anchorDay: anchorDay)
    }
}

extension Subscription {
    /// Months one operation may add: a payment, a renewal or a start (billing review B7).
    public static let monthsRange = 1...120

    /// What a payment for `months` months of `planID`, made on `day`, does to `current`:
    /// extends it from its end when it was still current (or in grace) on that day,
    /// moving it to `planID` from the next period; otherwise starts a new subscription on
    /// that day. A late payment is therefore applied as of the day it was made.
    public static func afterPayment(
        _ current: Subscription?, userID: Int64, planID: Int64, months: Int, on day: CalendarDay, graceDays: Int, calendar: BillingCalendar
    ) -> SubscriptionChange {
        guard var current, current.status(on: day, graceDays: graceDays, calendar: calendar) != .expired else {
            return SubscriptionChange(subscription: .starting(userID: userID, planID: planID, on: day, months: months, calendar: calendar))
        }
        let changesPlan = current.planID != planID
        current.planID = planID
        return SubscriptionChange(subscription: current.renewed(months: months, on: day, graceDays: graceDays, calendar: calendar), repriceAfter: changesPlan ? day : nil)
    }

    /// Ended on `day` (billing review B3): no access from that day, no grace days; the
    /// periods starting on or after it are given back.
    public func ended(on day: CalendarDay, at instant: Date) -> Subscription {
        var next = self
        next.periodEnd = max(periodStart, min(day, periodEnd))
        next.cancelledAt = cancelledAt ?? instant
        return next
    }
}
