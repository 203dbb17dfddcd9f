import Foundation

/// Plans and what the CLI and the portal read about subscriptions, payments and usage.
extension BillingService {
    /// Every plan, by name.
    public func plans() async throws -> [Plan] {
        try await store.plans()
    }

    /// Adds a plan; refused when the name is taken or a limit is out of range.
    public func addPlan(_ plan: Plan, actor: String = defaultActor) async throws -> Plan {
        try plan.validate()
        if try await store.plan(named: plan.name) != nil { throw BillingError.conflict("plan \(plan.name) already exists: use plan edit") }
        let note = AuditNote(actor: actor, action: "plan-add", target: plan.name, detail: Self.describe(plan))
        return try await store.save(plan, audit: note)
    }

    /// Changes a plan's price or limits with `edit`; the result is validated. Periods
    /// already charged keep the price and limits they were sold with (billing review B11).
    public func editPlan(named name: String, actor: String = defaultActor, _ edit: (Plan) throws -> Plan) async throws -> Plan {
        let plan = try edit(try await plan(named: name))
        try plan.validate()
        let note = AuditNote(actor: actor, action: "plan-edit", target: plan.name, detail: Self.describe(plan))
        return try await store.save(plan, audit: note)
    }

    /// A user's subscription with its plan and charged periods; nil with none.
    public func subscriptionDetails(userID: Int64) async throws -> (subscription: Subscription, plan: Plan?, charges: [Charge])? {
        guard let subscription = try await store.subscription(userID: userID) else { return nil }
        return (subscription, try await store.plan(id: subscription.planID), try await store.charges(userID: userID))
    }

    /// A user's plan (as paid for in the current or last period) and subscription, read
    /// now (the gateway's copy may be a few seconds old).
    public func standing(userID: Int64) async throws -> Standing? {
        try await store.standing(userID: userID)
    }

    /// A user's subscription, if any.
    public func subscription(userID: Int64) async throws -> Subscription? {
        try await store.subscription(userID: userID)
    }

    /// The subscriptions of these users, read at once (the operator page).
    public func subscriptions(userIDs: [Int64]) async throws -> [Int64: Subscription] {
        try await store.subscriptions(userIDs: userIDs)
    }

    /// A user's payments, with what was refunded of each.
    public func payments(userID: Int64) async throws -> [Payment] {
        try await store.payments(userID: userID)
    }

    /// The payments of everyone who had this name, deleted users included (billing
    /// review B9); `notFound` when nobody ever had it.
    public func payments(username: String) async throws -> [Payment] {
        try await checkKnown(username)
        return try await store.payments(username: username)
    }

    /// One payment (a receipt).
    public func payment(id: Int64) async throws -> Payment? {
        try await store.payment(id: id)
    }

    /// Throws `notFound` unless a current or deleted user had this name.
    public func checkKnown(_ username: String) async throws {
        guard try await store.knowsUsername(username) else { throw BillingError.notFound("no such user (current or deleted): \(username)") }
    }

    /// The currency a payment was recorded in (to read a refund amount in it).
    public func paymentCurrency(reference: String) async throws -> String {
        try await store.paymentCurrency(reference: reference)
    }

    /// The monthly report of `month` (`YYYY-MM`, in the billing time zone; default the
    /// current month), for everyone, for the users who had `username` (deleted ones
    /// included), or for one user id.
    public func monthlyReport(month: String? = nil, username: String? = nil, userID: Int64? = nil) async throws -> UsageReport {
        let month = month ?? currentMonth
        guard let range = BillingCalendar.monthRange(month) else { throw BillingError.invalid("\"\(month)\" is not a month like 2026-12") }
        return try await store.report(ReportQuery(
            month: month, first: range.first, next: range.next, monthStart: calendar.start(of: range.first), monthEnd: calendar.start(of: range.next),
            username: username, userID: userID
        ))
    }

    /// Every payment and refund of `month` (default the current month), in time order.
    public func transactions(month: String? = nil) async throws -> (month: String, entries: [BookEntry]) {
        let month = month ?? currentMonth
        guard let range = BillingCalendar.monthRange(month) else { throw BillingError.invalid("\"\(month)\" is not a month like 2026-12") }
        return (month, try await store.transactions(from: calendar.start(of: range.first), to: calendar.start(of: range.next)))
    }

    /// Subscriptions whose paid time ends within `days` days (and those in their grace
    /// days now), soonest first: the reminder list.
    public func expiring(withinDays days: Int) async throws -> [ExpiringSubscription] {
        guard (0...366).contains(days) else { throw BillingError.invalid("the window must be 0-366 days") }
        let today = today
        return try await store.expiring(since: calendar.adding(days: -graceDays, to: today), before: calendar.adding(days: days + 1, to: today))
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

    /// A plan in one line, for the audit log.
    static func describe(_ plan: Plan) -> String {
        "\(Money.format(plan.priceMinor, plan.currency)), quota \(plan.monthlyQuotaBytes) B, \(plan.requestsPerMinute) rpm, "
            + "\(plan.manifestPullsPerWindow) pulls/\(plan.manifestWindowSeconds)s, \(plan.maxConcurrentDownloads) downloads, \(plan.maxClientAddressesPerDay) addresses"
    }
}
