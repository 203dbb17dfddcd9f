import Foundation

/// Plans and what the CLI and the portal read about subscriptions, payments and usage.
extension BillingService {
    /// Every plan, by name.
    public func plans() async throws -> [Plan] {
        try await store.plans()
    }

    /// Adds a plan; refused when the name is taken or a limit is out of range.
    public func addPlan(_ plan: Plan) async throws -> Plan {
        try plan.validate()
        if try await store.plan(named: plan.name) != nil { throw BillingError.conflict("plan \(plan.name) already exists: use plan edit") }
        return try await store.save(plan)
    }

    /// Changes a plan's price or limits with `edit`; the result is validated.
    public func editPlan(named name: String, _ edit: (Plan) throws -> Plan) async throws -> Plan {
        let plan = try edit(try await plan(named: name))
        try plan.validate()
        return try await store.save(plan)
    }

    /// A user's subscription with its plan and charged periods; nil with none.
    public func subscriptionDetails(userID: Int64) async throws -> (subscription: Subscription, plan: Plan?, charges: [Charge])? {
        guard let subscription = try await store.subscription(userID: userID) else { return nil }
        return (subscription, try await store.plan(id: subscription.planID), try await store.charges(userID: userID))
    }

    /// A user's subscription, if any.
    public func subscription(userID: Int64) async throws -> Subscription? {
        try await store.subscription(userID: userID)
    }

    /// A user's payments, with what was refunded of each.
    public func payments(userID: Int64) async throws -> [Payment] {
        try await store.payments(userID: userID)
    }

    /// The currency a payment was recorded in (to read a refund amount in it).
    public func paymentCurrency(reference: String) async throws -> String {
        try await store.paymentCurrency(reference: reference)
    }

    /// The monthly report of `month` (`YYYY-MM`, in the billing time zone), for everyone
    /// or one user.
    public func monthlyReport(month: String, username: String? = nil) async throws -> UsageReport {
        guard let range = BillingCalendar.monthRange(month) else { throw BillingError.invalid("\"\(month)\" is not a month like 2026-12") }
        return try await store.report(
            month: month, first: range.first, next: range.next, monthStart: calendar.start(of: range.first), monthEnd: calendar.start(of: range.next),
            username: username
        )
    }

    /// The month's largest consumers by bytes served.
    public func top(by dimension: TopDimension, month: String, limit: Int) async throws -> [TopUsage] {
        guard let range = BillingCalendar.monthRange(month) else { throw BillingError.invalid("\"\(month)\" is not a month like 2026-12") }
        return try await store.top(by: dimension, first: range.first, next: range.next, limit: limit)
    }

    /// The current month (`YYYY-MM`) in the billing time zone.
    public var currentMonth: String {
        String(today.description.prefix(7))
    }

    /// A subscriber's bytes per day and top repositories in `month`, for the dashboard.
    public func dashboard(userID: Int64, month: String) async throws -> (days: [DailyBytes], repositories: [RepositoryUsage]) {
        guard let range = BillingCalendar.monthRange(month) else { throw BillingError.invalid("\"\(month)\" is not a month like 2026-12") }
        return (
            try await store.dailyBytes(userID: userID, first: range.first, next: range.next),
            try await store.topRepositories(userID: userID, first: range.first, next: range.next, limit: 5)
        )
    }

    /// Share of bytes served from the cache over the last `days` days (nil when nothing was served).
    public func cacheHitRatio(days: Int = 30) async throws -> Double? {
        let (hits, total) = try await store.servedBytes(days: days)
        return total == 0 ? nil : Double(hits) / Double(total)
    }
}
