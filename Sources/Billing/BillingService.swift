import Foundation

/// Plan, subscription, payment and refund operations (what `ferry plan|subscription|
/// payment` and the portal's operator view do). Every change to a subscription runs in
/// one transaction under the user's lock and charges each new billing period at the
/// price of that moment.
public struct BillingService: Sendable {
    let store: any BillingStore
    public let calendar: BillingCalendar
    public let graceDays: Int
    let now: @Sendable () -> Date

    /// Creates the service over `store`, which nothing else should write to.
    public init(store: any BillingStore, calendar: BillingCalendar, graceDays: Int, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.calendar = calendar
        self.graceDays = graceDays
        self.now = now
    }

    public var today: CalendarDay { calendar.day(of: now()) }

    /// The plan with this name, or `notFound`.
    public func plan(named name: String) async throws -> Plan {
        guard let plan = try await store.plan(named: name) else { throw BillingError.notFound("no such plan: \(name)") }
        return plan
    }

    /// Subscribes a user to a plan from today for `months` months. Refused while a
    /// subscription still has paid time (that would throw the paid months away): renew
    /// it, or change its plan from the next period.
    public func start(userID: Int64, username: String, planName: String, months: Int) async throws -> Subscription {
        guard months > 0 else { throw BillingError.invalid("months must be positive") }
        let plan = try await plan(named: planName)
        let (today, calendar, graceDays) = (today, calendar, graceDays)
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar) { current in
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
    public func renew(userID: Int64, months: Int, username: String) async throws -> Subscription {
        guard months > 0 else { throw BillingError.invalid("months must be positive") }
        let (today, calendar, graceDays) = (today, calendar, graceDays)
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar) { current in
            guard let current else { throw BillingError.notFound("\(username) has no subscription: start one first") }
            return .init(subscription: current.renewed(months: months, on: today, graceDays: graceDays, calendar: calendar))
        }
        return stored!
    }

    /// Cancels: access continues until the period ends, then stops (no grace days).
    public func cancel(userID: Int64, username: String) async throws -> Subscription {
        let cancelledAt = now()
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar) { current in
            guard var current else { throw BillingError.notFound("\(username) has no subscription") }
            guard current.cancelledAt == nil else { throw BillingError.conflict("the subscription of \(username) is already cancelled") }
            current.cancelledAt = cancelledAt
            return .init(subscription: current)
        }
        return stored!
    }

    /// Moves a subscription to another plan from its next billing period: periods that
    /// have not started are charged at the new plan's price, and renewals use it. The
    /// current period keeps its plan and its price. Returns the subscription and the
    /// day the new plan applies from.
    public func changePlan(userID: Int64, username: String, planName: String) async throws -> (Subscription, effective: CalendarDay) {
        let plan = try await plan(named: planName)
        let (today, calendar) = (today, calendar)
        let stored = try await store.changeSubscription(userID: userID, username: username, calendar: calendar) { current in
            guard var current else { throw BillingError.notFound("\(username) has no subscription: use subscription start --plan \(planName)") }
            guard current.planID != plan.id else { throw BillingError.conflict("\(username) is already on \(planName)") }
            current.planID = plan.id
            return .init(subscription: current, repriceAfter: today)
        }
        let subscription = stored!
        let effective = subscription.billingPeriods(calendar: calendar).first { $0.start > today }?.start ?? subscription.periodEnd
        return (subscription, effective)
    }

    /// What recording a payment did.
    public struct PaymentOutcome: Sendable {
        /// False when the reference was recorded before (nothing changed).
        public let recorded: Bool
        public let subscription: Subscription?
        /// The price of the months paid for, in the plan's currency, when the payment is
        /// in that currency and differs from it (the operator may want to look).
        public let expectedMinor: Int64?
    }

    /// Records a payment and extends the subscription by `months`; with no subscription
    /// yet (or an expired one), starts one on `planName` (or the old plan). A `planName`
    /// other than the current plan changes the plan from the next period, and the new
    /// months are charged at its price. `currency` defaults to the plan's. Idempotent
    /// per reference (across all users).
    public func recordPayment(
        userID: Int64, username: String, amountMinor: Int64, currency: String? = nil, reference: String, months: Int, planName: String?
    ) async throws -> PaymentOutcome {
        guard amountMinor > 0 else { throw BillingError.invalid("amount must be positive") }
        guard months > 0, months <= 120 else { throw BillingError.invalid("months must be 1-120") }
        guard !reference.isEmpty, reference.utf8.count <= 200 else { throw BillingError.invalid("the payment reference must be 1-200 bytes") }
        let plan = try await paymentPlan(userID: userID, username: username, planName: planName)
        let paidIn = currency?.uppercased() ?? plan.currency
        guard paidIn.count == 3, paidIn.allSatisfy({ $0.isASCII && $0.isLetter }) else { throw BillingError.invalid("currency must be a three-letter ISO code such as CNY or USD") }
        let (today, calendar, graceDays) = (today, calendar, graceDays)
        let recorded = try await store.recordPayment(
            userID: userID, username: username, amountMinor: amountMinor, currency: paidIn, reference: reference, months: months, paidAt: now(), calendar: calendar
        ) { current in
            guard var current, current.status(on: today, graceDays: graceDays, calendar: calendar) != .expired else {
                return .init(subscription: Subscription.starting(userID: userID, planID: plan.id, on: today, months: months, calendar: calendar))
            }
            let changesPlan = current.planID != plan.id
            current.planID = plan.id
            return .init(subscription: current.renewed(months: months, on: today, graceDays: graceDays, calendar: calendar), repriceAfter: changesPlan ? today : nil)
        }
        let expected = plan.priceMinor * Int64(months)
        return PaymentOutcome(
            recorded: recorded, subscription: try await store.subscription(userID: userID),
            expectedMinor: recorded && paidIn == plan.currency && amountMinor != expected ? expected : nil
        )
    }

    /// As `recordPayment`, with the amount as typed: read in `currency` (by default the
    /// plan's) with that currency's decimals (`500` JPY, `1.250` KWD, `3.00` CNY).
    /// Returns the outcome with the amount and currency recorded.
    public func recordPayment(
        userID: Int64, username: String, amount text: String, currency: String? = nil, reference: String, months: Int, planName: String?
    ) async throws -> (outcome: PaymentOutcome, amountMinor: Int64, currency: String) {
        var paidIn = currency?.uppercased() ?? ""
        if paidIn.isEmpty { paidIn = try await paymentPlan(userID: userID, username: username, planName: planName).currency }
        guard let minor = Money.minorUnits(text.trimmingCharacters(in: .whitespaces), currency: paidIn), minor > 0 else {
            throw BillingError.invalid("\"\(text.prefix(40))\" is not an amount in \(paidIn) (\(Money.decimals(paidIn)) decimals, like \(Money.format(300, paidIn).split(separator: " ")[0]))")
        }
        let outcome = try await recordPayment(
            userID: userID, username: username, amountMinor: minor, currency: paidIn, reference: reference, months: months, planName: planName
        )
        return (outcome, minor, paidIn)
    }

    /// The plan a payment is for: the one named, else the subscription's.
    private func paymentPlan(userID: Int64, username: String, planName: String?) async throws -> Plan {
        if let planName { return try await plan(named: planName) }
        if let existing = try await store.subscription(userID: userID), let current = try await store.plan(id: existing.planID) { return current }
        throw BillingError.invalid("\(username) has no subscription: name a plan to start one with this payment")
    }

    /// Records a refund of a payment (all that is left of it unless `amountMinor` says
    /// otherwise). The subscription is not touched: cancel it separately if access should end.
    public func refund(reference: String, amountMinor: Int64?, reason: String?) async throws -> Refund {
        try await store.refund(reference: reference, amountMinor: amountMinor, reason: reason, at: now())
    }

    /// The status of a subscription today.
    public func status(_ subscription: Subscription) -> SubscriptionStatus {
        subscription.status(on: today, graceDays: graceDays, calendar: calendar)
    }

    /// Parses an amount with two decimals (`3`, `3.5`, `3.00`) into minor units.
    public static func minorUnits(_ text: String) -> Int64? {
        Money.minorUnits(text, currency: "XXX")
    }
}
