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
    /// The period was given back (the subscription ended before it started): kept in
    /// the books, no longer due.
    public var voided: Bool

    /// Creates a charge value.
    public init(
        id: Int64, userID: Int64, username: String, periodStart: CalendarDay, periodEnd: CalendarDay, planName: String, amountMinor: Int64, currency: String,
        voided: Bool = false
    ) {
        self.id = id
        self.userID = userID
        self.username = username
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.planName = planName
        self.amountMinor = amountMinor
        self.currency = currency
        self.voided = voided
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
    /// `alipay` or `stripe` when the provider reported it; nil when recorded by hand.
    public var provider: String?
    /// The order it paid, when it came through one.
    public var orderNumber: String?
    /// Who recorded it: an admin, `ferry-cli`, or the provider.
    public var recordedBy: String?
    /// The paid time it added to the subscription, `coversTo` exclusive (the receipt's
    /// period); nil for payments recorded before this was kept.
    public var coversFrom: CalendarDay?
    /// The end of that time (exclusive).
    public var coversTo: CalendarDay?
    /// The plan of the order it paid, when it came through one.
    public var planName: String?

    /// Creates a payment value.
    public init(
        id: Int64, userID: Int64, username: String, amountMinor: Int64, currency: String, reference: String, months: Int, paidAt: Date, refundedMinor: Int64 = 0,
        provider: String? = nil, orderNumber: String? = nil, recordedBy: String? = nil, coversFrom: CalendarDay? = nil, coversTo: CalendarDay? = nil,
        planName: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.username = username
        self.amountMinor = amountMinor
        self.currency = currency
        self.reference = reference
        self.months = months
        self.paidAt = paidAt
        self.refundedMinor = refundedMinor
        self.provider = provider
        self.orderNumber = orderNumber
        self.recordedBy = recordedBy
        self.coversFrom = coversFrom
        self.coversTo = coversTo
        self.planName = planName
    }

    /// The receipt number: `R-` and the payment's id, six digits at least.
    public var receiptNumber: String {
        let digits = String(id)
        return "R-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }
}

/// Money given back for a payment, in the payment's currency.
public struct Refund: Sendable, Equatable, Codable {
    public var id: Int64
    /// The payment's reference.
    public var reference: String
    /// The refund's own reference (unique): running the same refund again changes nothing.
    public var refundReference: String
    public var amountMinor: Int64
    public var currency: String
    public var reason: String?
    public var refundedAt: Date

    /// Creates a refund value.
    public init(id: Int64, reference: String, refundReference: String, amountMinor: Int64, currency: String, reason: String?, refundedAt: Date) {
        self.id = id
        self.reference = reference
        self.refundReference = refundReference
        self.amountMinor = amountMinor
        self.currency = currency
        self.reason = reason
        self.refundedAt = refundedAt
    }
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
