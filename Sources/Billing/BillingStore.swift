import Foundation

/// Where `BillingService` keeps plans, subscriptions and the books (PostgreSQL in
/// production: `PostgresBillingStore`). Only the service talks to it: the CLI and the
/// portal go through the service. Every change to money runs in one transaction under
/// the user's lock and writes its audit row in that transaction.
public protocol BillingStore: Sendable {
    func plans() async throws -> [Plan]
    func plan(named name: String) async throws -> Plan?
    func plan(id: Int64) async throws -> Plan?
    /// Inserts a plan, or updates the one with the same name.
    func save(_ plan: Plan, audit: AuditNote?) async throws -> Plan
    func subscription(userID: Int64) async throws -> Subscription?
    /// The user's plan (with the limits of the period paid for) and subscription, read now.
    func standing(userID: Int64) async throws -> Standing?
    /// The subscriptions of these users (one statement).
    func subscriptions(userIDs: [Int64]) async throws -> [Int64: Subscription]
    /// Applies `change` to the user's subscription under the user's lock and charges
    /// each new billing period.
    func changeSubscription(
        userID: Int64, username: String, calendar: BillingCalendar, audit: AuditNote?, _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Subscription?
    /// Ends a subscription on `day` (no grace) and voids the charges of periods starting
    /// on or after it.
    func endSubscription(userID: Int64, username: String, on day: CalendarDay, at: Date, audit: AuditNote) async throws -> Subscription
    /// Records a payment and applies `change` in one transaction; false when the
    /// reference was recorded before.
    func recordPayment(_ entry: PaymentEntry, calendar: BillingCalendar, _ change: @Sendable (Subscription?) throws -> SubscriptionChange) async throws -> Bool
    /// Records a refund (once per refund reference), and ends the subscription on
    /// `request.endAccessOn` in the same transaction.
    func refund(_ request: RefundRequest, at: Date) async throws -> RefundOutcome
    func paymentCurrency(reference: String) async throws -> String
    func charges(userID: Int64) async throws -> [Charge]
    func payments(userID: Int64) async throws -> [Payment]
    /// Payments of every user, current or deleted, who had this name.
    func payments(username: String) async throws -> [Payment]
    /// One payment by id.
    func payment(id: Int64) async throws -> Payment?
    /// Whether a current or deleted user had this name.
    func knowsUsername(_ username: String) async throws -> Bool
    func report(_ query: ReportQuery) async throws -> UsageReport
    func top(by dimension: TopDimension, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [TopUsage]
    func dailyBytes(userID: Int64, first: CalendarDay, next: CalendarDay) async throws -> [DailyBytes]
    func topRepositories(userID: Int64, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [RepositoryUsage]
    /// Bytes served from the cache and in all over the last `days` days.
    func servedBytes(days: Int) async throws -> (fromCache: Int64, total: Int64)
    /// Every payment and refund whose time falls in `[start, end)`.
    func transactions(from start: Date, to end: Date) async throws -> [BookEntry]
    /// Subscriptions whose paid time ends before `day` (and that have not expired before `since`).
    func expiring(since: CalendarDay, before day: CalendarDay) async throws -> [ExpiringSubscription]

    // Orders and the inbox.
    /// Creates an order, refused when the user has `limit` open orders.
    func createOrder(_ draft: OrderDraft, openLimit: Int) async throws -> Order
    func orders(userID: Int64, limit: Int) async throws -> [Order]
    /// Stores a verified notification and applies it, in one transaction.
    func receive(_ notification: ReceivedNotification, terms: PaymentTerms) async throws -> InboxReceipt
    /// Re-applies a stored event that was not applied, with `notification` as it parses now.
    func replay(eventID: Int64, as notification: ReceivedNotification, terms: PaymentTerms, actor: String) async throws -> InboxEvent
    /// Credits a stored payment event that named no order (or was rejected) to a user.
    func resolve(eventID: Int64, to target: ResolveTarget, terms: PaymentTerms) async throws -> InboxEvent
    /// Stored events, newest first, with these outcomes.
    func inbox(outcomes: [InboxOutcome], limit: Int) async throws -> [InboxEvent]
    func event(id: Int64) async throws -> StoredNotification?
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

/// The audit row a change writes in its own transaction (billing review B10).
public struct AuditNote: Sendable, Equatable {
    /// Who: an admin's username, `ferry-cli`, or a provider (`alipay`, `stripe`).
    public var actor: String
    /// A short verb: `payment`, `refund`, `subscription-start`, `plan-edit`, ...
    public var action: String
    /// The user acted on (or the plan).
    public var target: String?
    /// What changed, in a line; never a secret.
    public var detail: String

    /// Creates a note.
    public init(actor: String, action: String, target: String?, detail: String) {
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
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

/// Which month's report, for whom.
public struct ReportQuery: Sendable {
    /// `YYYY-MM`.
    public var month: String
    /// The month's first day.
    public var first: CalendarDay
    /// The next month's first day.
    public var next: CalendarDay
    /// The month's bounds in the operator's zone (payments and refunds).
    public var monthStart: Date
    /// The month's end in the operator's zone.
    public var monthEnd: Date
    /// Only users who had this name (current and deleted ones).
    public var username: String?
    /// Only this user.
    public var userID: Int64?
}
