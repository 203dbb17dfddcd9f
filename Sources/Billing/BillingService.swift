import Foundation

/// Plan, subscription, payment and refund operations (what `ferry plan|subscription|
/// payment` and the portal's operator view do). Every change to a subscription runs in
/// one transaction under the user's lock, charges each new billing period at the price
/// and limits of that moment, and writes its audit row (naming `actor`) in the same
/// transaction.
public struct BillingService: Sendable {
    let store: any BillingStore
    public let calendar: BillingCalendar
    public let graceDays: Int
    let now: @Sendable () -> Date

    /// How the audit log names changes made without a named actor.
    public static let defaultActor = "ferry"

    /// Creates the service over `store`, which nothing else should write to.
    public init(store: any BillingStore, calendar: BillingCalendar, graceDays: Int, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.calendar = calendar
        self.graceDays = graceDays
        self.now = now
    }

    /// Today in the billing time zone.
    public var today: CalendarDay { calendar.day(of: now()) }

    /// The plan with this name, or `notFound`.
    public func plan(named name: String) async throws -> Plan {
        guard let plan = try await store.plan(named: name) else { throw BillingError.notFound("no such plan: \(name)") }
        return plan
    }

    /// Subscribes a user to a plan from today for `months` months. Refused while a
    /// subscription still has paid time (that would throw the paid months away): renew
    /// it, or change its plan from the next period.
    public func start(userID: Int64, username: String, planName: String, months: Int, actor: String = defaultActor) async throws -> Subscription {
        try Self.checkMonths(months)
        let plan = try await plan(named: planName)
        let (today, calendar, graceDays) = (today, calendar, graceDays)
        let note = AuditNote(actor: actor, action: "subscription-start", target: username, detail: "\(plan.name) for \(Self.months(months))")
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar, audit: note) { current in
            if let current, current.status(on: today, graceDays: graceDays, calendar: calendar) != .expired {
                throw BillingError.conflict(
                    "\(username) already has a subscription until \(current.periodEnd): use subscription renew, or subscription change-plan to switch plans from the next period"
                )
            }
            return .init(subscription: Subscription.starting(userID: userID, planID: plan.id, on: today, months: months, calendar: calendar))
        }
        return stored!
    }

    /// Extends a subscription by `months` (from its end, or from today if it expired);
    /// the new periods are charged at the plan's current price.
    public func renew(userID: Int64, months: Int, username: String, actor: String = defaultActor) async throws -> Subscription {
        try Self.checkMonths(months)
        let (today, calendar, graceDays) = (today, calendar, graceDays)
        let note = AuditNote(actor: actor, action: "subscription-renew", target: username, detail: "renewed for \(Self.months(months))")
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar, audit: note) { current in
            guard let current else { throw BillingError.notFound("\(username) has no subscription: start one first") }
            return .init(subscription: current.renewed(months: months, on: today, graceDays: graceDays, calendar: calendar))
        }
        return stored!
    }

    /// Cancels: access continues until the period ends, then stops (no grace days).
    public func cancel(userID: Int64, username: String, actor: String = defaultActor) async throws -> Subscription {
        let cancelledAt = now()
        let note = AuditNote(actor: actor, action: "subscription-cancel", target: username, detail: "cancelled")
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar, audit: note) { current in
            guard var current else { throw BillingError.notFound("\(username) has no subscription") }
            guard current.cancelledAt == nil else { throw BillingError.conflict("the subscription of \(username) is already cancelled") }
            current.cancelledAt = cancelledAt
            return .init(subscription: current)
        }
        return stored!
    }

    /// Ends a subscription on `day` (default today; billing review B3): no access from
    /// that day and no grace days; the periods starting on or after it are given back
    /// (voided: kept in the books, no longer due). A later day may not extend it.
    public func end(userID: Int64, username: String, on day: CalendarDay? = nil, actor: String = defaultActor) async throws -> Subscription {
        let day = day ?? today
        let note = AuditNote(actor: actor, action: "subscription-end", target: username, detail: "ended")
        return try await store.endSubscription(userID: userID, username: username, on: day, at: now(), audit: note)
    }

    /// Moves a subscription to another plan from its next billing period: periods that
    /// have not started are charged at the new plan's price, and renewals use it. The
    /// current period keeps its plan and its price. Returns the subscription and the
    /// day the new plan applies from.
    public func changePlan(userID: Int64, username: String, planName: String, actor: String = defaultActor) async throws -> (Subscription, effective: CalendarDay) {
        let plan = try await plan(named: planName)
        let (today, calendar) = (today, calendar)
        let note = AuditNote(actor: actor, action: "subscription-change-plan", target: username, detail: "to \(plan.name) from the next period")
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar, audit: note) { current in
            guard var current else { throw BillingError.notFound("\(username) has no subscription: use subscription start --plan \(planName)") }
            guard current.planID != plan.id else { throw BillingError.conflict("\(username) is already on \(planName)") }
            current.planID = plan.id
            return .init(subscription: current, repriceAfter: today)
        }
        let subscription = stored!
        let effective = subscription.billingPeriods(calendar: calendar).first { $0.start > today }?.start ?? subscription.periodEnd
        return (subscription, effective)
    }

    /// Records a refund of a payment (all that is left of it unless `amountMinor` says
    /// otherwise), once per `refundReference` (billing review B2): the same refund again
    /// changes nothing, the same reference with other details is refused. With
    /// `endAccess`, the subscription ends today in the same transaction (B3).
    public func refund(
        reference: String, refundReference: String, amountMinor: Int64?, reason: String?, endAccess: Bool = false, actor: String = defaultActor
    ) async throws -> RefundOutcome {
        guard !refundReference.isEmpty, refundReference.utf8.count <= 200 else { throw BillingError.invalid("the refund reference must be 1-200 bytes") }
        if let amountMinor, amountMinor <= 0 { throw BillingError.invalid("the refund amount must be positive") }
        let request = RefundRequest(
            paymentReference: reference, refundReference: refundReference, amountMinor: amountMinor, reason: reason, endAccessOn: endAccess ? today : nil,
            actor: actor
        )
        return try await store.refund(request, at: now())
    }

    /// The status of a subscription today.
    public func status(_ subscription: Subscription) -> SubscriptionStatus {
        subscription.status(on: today, graceDays: graceDays, calendar: calendar)
    }

    /// Parses an amount with two decimals (`3`, `3.5`, `3.00`) into minor units.
    public static func minorUnits(_ text: String) -> Int64? {
        Money.minorUnits(text, currency: "XXX")
    }

    /// Refuses a month count outside 1-120 (billing review B7).
    static func checkMonths(_ months: Int) throws(BillingError) {
        guard Subscription.monthsRange.contains(months) else {
            throw .invalid("months must be \(Subscription.monthsRange.lowerBound)-\(Subscription.monthsRange.upperBound), not \(months)")
        }
    }

    /// `1 month`, `3 months`.
    static func months(_ count: Int) -> String {
        "\(count) month\(count == 1 ? "" : "s")"
    }
}
