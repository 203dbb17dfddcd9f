import Accounts
import Billing
import Foundation

/// The operator view: users (a page at a time) with plan, status and this month's usage,
/// the payment inbox, the payment and refund forms, the month's export, and the audit log.
struct AdminContent: Sendable {
    struct UserRow: Sendable {
        let username: String
        let role: String
        let isAdmin: Bool
        let status: String
        let isSuspended: Bool
        let isSelf: Bool
        let plan: String
        let subscription: String
        let paidUntil: String
        let served: String
        let quotaPercent: String
        let manifestPulls: Int64
        let due: String
        let paid: String
        let likelyShared: Bool
    }

    struct AuditRow: Sendable {
        let at: String
        let actor: String
        let action: String
        let target: String
        let detail: String
    }

    let month: String
    let hasBilling: Bool
    let users: [UserRow]
    let usernames: [String]
    let plans: [String]
    let audit: [AuditRow]
    let hasAudit: Bool
    let totalServed: String
    let revenue: String
    let inbox: [InboxRow]
    let hasInbox: Bool
    let pager: Pager
    let exportURL: String

    /// A payment notification that needs a person (orphan, rejected, waiting).
    struct InboxRow: Sendable {
        let id: Int64
        let provider: String
        let type: String
        let outcome: String
        let order: String
        let amount: String
        let received: String
        let detail: String

        init(_ event: InboxEvent) {
            id = event.id
            provider = event.provider
            type = event.eventType
            outcome = event.outcome.rawValue
            order = event.orderNumber ?? "-"
            if let minor = event.amountMinor, let currency = event.currency {
                amount = Money.format(minor, currency)
            } else {
                amount = "-"
            }
            received = AccessContent.format(event.receivedAt)
            detail = event.detail
        }
    }

    /// Which page of users is shown.
    struct Pager: Sendable {
        let page: Int
        let pages: Int
        let total: Int
        let previous: String?
        let next: String?
    }
}
