import Foundation

/// What is due for one monthly billing period of a subscription, fixed when the period
/// was added: the plan, its price and currency of that moment. Later plan edits never
/// change it.
public struct Charge: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var username: String
    public var periodStart: CalendarDay
    public var periodEnd: CalendarDay
    public var planName: String
    public var amountMinor: Int64
    public var currency: String

    /// Creates a charge value.
    public init(id: Int64, userID: Int64, username: String, periodStart: CalendarDay, periodEnd: CalendarDay, planName: String, amountMinor: Int64, currency: String) {
        self.id = id
        self.userID = userID
        self.username = username
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.planName = planName
        self.amountMinor = amountMinor
        self.currency = currency
    }
}

/// Money received, in its own currency; `reference` (an order number) identifies it
/// across all users.
public struct Payment: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var username: String
    public var amountMinor: Int64
    public var currency: String
    public var reference: String
    public var months: Int
    public var paidAt: Date
    /// Already given back.
    public var refundedMinor: Int64

    /// Creates a payment value.
    public init(id: Int64, userID: Int64, username: String, amountMinor: Int64, currency: String, reference: String, months: Int, paidAt: Date, refundedMinor: Int64 = 0) {
        self.id = id
        self.userID = userID
        self.username = username
        self.amountMinor = amountMinor
        self.currency = currency
        self.reference = reference
        self.months = months
        self.paidAt = paidAt
        self.refundedMinor = refundedMinor
    }
}

/// Money given back for a payment, in the payment's currency.
public struct Refund: Sendable, Equatable, Codable {
    public var id: Int64
    public var reference: String
    public var amountMinor: Int64
    public var currency: String
    public var reason: String?
    public var refundedAt: Date
}

extension Subscription {
    /// The monthly billing periods the subscription covers: from `periodStart`, each
    /// ending on the anchor day (clamped to the month's length), the last one at
    /// `periodEnd`.
    public func billingPeriods(calendar: BillingCalendar) -> [(start: CalendarDay, end: CalendarDay)] {
        var periods: [(CalendarDay, CalendarDay)] = []
        var start = periodStart
        var months = 1
        while start < periodEnd, periods.count < 1200 {
            let next = min(calendar.adding(months: months, to: periodStart, anchorDay: anchorDay), periodEnd)
            if next > start { periods.append((start, next)) }
            start = next
            months += 1
        }
        return periods
    }
}
