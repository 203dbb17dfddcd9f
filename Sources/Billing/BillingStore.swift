import Foundation

/// Where `BillingService` keeps plans, subscriptions and the books (PostgreSQL in
/// production: `PostgresBillingStore`). Only the service talks to it: the CLI and the
/// portal go through the service.
public protocol BillingStore: Sendable {
    func plans() async throws -> [Plan]
    func plan(named name: String) async throws -> Plan?
    func plan(id: Int64) async throws -> Plan?
    /// Inserts a plan, or updates the one with the same name.
    func save(_ plan: Plan) async throws -> Plan
    func subscription(userID: Int64) async throws -> Subscription?
    /// Applies `change` to the user's subscription under the user's lock and charges
    /// each new billing period.
    func changeSubscription(
        userID: Int64, username: String, calendar: BillingCalendar, _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Subscription?
    /// Records a payment and applies `change` in one transaction; false when the
    /// reference was recorded before.
    func recordPayment(
        userID: Int64, username: String, amountMinor: Int64, currency: String, reference: String, months: Int, paidAt: Date,
        calendar: BillingCalendar, _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Bool
    func refund(reference: String, amountMinor: Int64?, reason: String?, at: Date) async throws -> Refund
    func paymentCurrency(reference: String) async throws -> String
    func charges(userID: Int64) async throws -> [Charge]
    func payments(userID: Int64) async throws -> [Payment]
    func report(month: String, first: CalendarDay, next: CalendarDay, monthStart: Date, monthEnd: Date, username: String?) async throws -> UsageReport
    func top(by dimension: TopDimension, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [TopUsage]
    func dailyBytes(userID: Int64, first: CalendarDay, next: CalendarDay) async throws -> [DailyBytes]
    func topRepositories(userID: Int64, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [RepositoryUsage]
    /// Bytes served from the cache and in all over the last `days` days.
    func servedBytes(days: Int) async throws -> (fromCache: Int64, total: Int64)
}

/// What a locked change does to a subscription.
public struct SubscriptionChange: Sendable {
    /// The subscription to store (nil: leave it as is).
    public var subscription: Subscription?
    /// Periods starting after this day move to `subscription`'s plan (a plan change
    /// from the next period).
    public var repriceAfter: CalendarDay?

    /// Creates a change.
    public init(subscription: Subscription?, repriceAfter: CalendarDay? = nil) {
        self.subscription = subscription
        self.repriceAfter = repriceAfter
    }
}

/// What `ferry usage top` ranks by.
public enum TopDimension: String, Sendable, CaseIterable {
    case user
    case repo
    case upstream
}

/// One row of `ferry usage top`.
public struct TopUsage: Sendable, Equatable {
    public let name: String
    public let bytes: Int64
    public let pulls: Int64
}
