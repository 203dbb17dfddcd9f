import Foundation

/// Plan, subscription and payment operations (what `ferry plan|subscription|payment` do).
public struct BillingService: Sendable {
    public let store: PostgresBillingStore
    public let calendar: BillingCalendar
    public let graceDays: Int
    let now: @Sendable () -> Date

    /// Creates the service.
    public init(store: PostgresBillingStore, calendar: BillingCalendar, graceDays: Int, now: @escaping @Sendable () -> Date = Date.init) {
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

    /// Subscribes a user to a plan from today for `months` months, replacing any
    /// current subscription.
    public func start(userID: Int64, planName: String, months: Int) async throws -> Subscription {
        guard months > 0 else { throw BillingError.invalid("months must be positive") }
        let plan = try await plan(named: planName)
        let subscription = Subscription.starting(userID: userID, planID: plan.id, on: today, months: months, calendar: calendar)
        try await store.save(subscription)
        return subscription
    }

    /// Extends a subscription by `months` (from its end, or from today if it expired).
    public func renew(userID: Int64, months: Int, username: String) async throws -> Subscription {
        guard months > 0 else { throw BillingError.invalid("months must be positive") }
        guard let current = try await store.subscription(userID: userID) else { throw BillingError.notFound("\(username) has no subscription: start one first") }
        let renewed = current.renewed(months: months, on: today, graceDays: graceDays, calendar: calendar)
        try await store.save(renewed)
        return renewed
    }

    /// Cancels: access continues until the period ends, then stops (no grace days).
    public func cancel(userID: Int64, username: String) async throws -> Subscription {
        guard var current = try await store.subscription(userID: userID) else { throw BillingError.notFound("\(username) has no subscription") }
        guard current.cancelledAt == nil else { throw BillingError.conflict("the subscription of \(username) is already cancelled") }
        current.cancelledAt = now()
        try await store.save(current)
        return current
    }

    /// Records a payment and extends the subscription by `months`; with no subscription
    /// yet, starts one on `planName`. Idempotent per reference: returns false (and
    /// changes nothing) for a reference already recorded.
    public func recordPayment(userID: Int64, username: String, amountMinor: Int64, reference: String, months: Int, planName: String?) async throws -> (recorded: Bool, subscription: Subscription?) {
        guard amountMinor > 0 else { throw BillingError.invalid("amount must be positive") }
        guard months > 0 else { throw BillingError.invalid("months must be positive") }
        guard !reference.isEmpty, reference.count <= 200 else { throw BillingError.invalid("--ref must be 1-200 characters") }
        let existing = try await store.subscription(userID: userID)
        let planID: Int64
        if let existing {
            planID = existing.planID
        } else {
            guard let planName else { throw BillingError.invalid("\(username) has no subscription: pass --plan to start one with this payment") }
            planID = try await plan(named: planName).id
        }
        guard let plan = try await store.plan(id: planID) else { throw BillingError.notFound("plan \(planID) is gone") }
        let today = today
        let calendar = calendar
        let graceDays = graceDays
        let recorded = try await store.recordPayment(userID: userID, amountMinor: amountMinor, currency: plan.currency, reference: reference, months: months, paidAt: now()) { current in
            if let current { return current.renewed(months: months, on: today, graceDays: graceDays, calendar: calendar) }
            return Subscription.starting(userID: userID, planID: planID, on: today, months: months, calendar: calendar)
        }
        return (recorded, try await store.subscription(userID: userID))
    }

    /// The status of a subscription today.
    public func status(_ subscription: Subscription) -> SubscriptionStatus {
        subscription.status(on: today, graceDays: graceDays, calendar: calendar)
    }

    /// Parses `3`, `3.5`, `3.00` into minor units (two decimal places).
    public static func minorUnits(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let major = Int64(parts[0]), major >= 0 else { return nil }
        guard parts.count == 2 else { return major * 100 }
        let fraction = String(parts[1])
        guard (1...2).contains(fraction.count), fraction.allSatisfy(\.isNumber), let value = Int64(fraction) else { return nil }
        return major * 100 + (fraction.count == 1 ? value * 10 : value)
    }
}
