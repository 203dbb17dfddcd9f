import Foundation
import PaymentProviders

/// What a stored provider notification did.
public enum InboxOutcome: String, Sendable, Codable, CaseIterable {
    /// It changed the books (or found them already changed: a redelivery, or a second
    /// notification about the same trade).
    case applied
    /// It names no order Ferry knows (or the order's user was deleted): waits for
    /// `ferry payment resolve`.
    case orphan
    /// Authentic but not acceptable (wrong amount, currency, app or seller; an order
    /// already paid by another trade): nothing was credited; a person decides.
    case rejected
    /// A refund whose payment has not arrived yet: applied when it does.
    case waiting
    /// Authentic, and needs nothing (a trade still waiting for the buyer, an event type
    /// Ferry does not act on).
    case ignored

    /// The outcomes that need a person (`ferry payment inbox`).
    public static let needingAttention: [InboxOutcome] = [.orphan, .rejected, .waiting]
}

/// A provider notification as the inbox keeps it.
public struct InboxEvent: Sendable, Equatable, Codable {
    /// The inbox's own id (what `ferry payment resolve|replay` take).
    public var id: Int64
    /// `alipay` or `stripe`.
    public var provider: String
    /// The provider's event id (Alipay `notify_id`, Stripe event id).
    public var eventID: String
    /// Alipay `trade_status`, Stripe event type.
    public var eventType: String
    /// The order number the provider echoed, if any.
    public var orderNumber: String?
    /// The provider's trade id (Alipay `trade_no`, Stripe payment intent).
    public var tradeID: String?
    /// The trade's amount in minor units of `currency`.
    public var amountMinor: Int64?
    /// The ISO 4217 code of the amount.
    public var currency: String?
    /// For a refund, what was refunded of the trade in all.
    public var refundedTotalMinor: Int64?
    /// When the buyer paid, as the provider says.
    public var paidAt: Date?
    /// When Ferry first received it.
    public var receivedAt: Date
    /// How many times the provider delivered it.
    public var deliveries: Int
    /// What it did.
    public var outcome: InboxOutcome
    /// Why, in a line.
    public var detail: String
    /// The payment it recorded or found.
    public var paymentReference: String?
}

/// What receiving a notification did: the stored event, and whether it had been
/// received before (a redelivery changes nothing and is answered as the first was).
public struct InboxReceipt: Sendable {
    /// The stored event.
    public let event: InboxEvent
    /// Whether it had been received before.
    public let duplicate: Bool
}

/// A verified notification on its way into the inbox.
public struct ReceivedNotification: Sendable {
    public var provider: PaymentProvider
    /// The provider's event id.
    public var eventID: String
    /// Alipay `trade_status`, Stripe event type.
    public var eventType: String
    /// The translated event; nil when it needs no action (`verdict` says why).
    public var event: PaymentEvent?
    /// The outcome for an authentic notification that is not applied (unsupported type,
    /// another app or seller), with its detail.
    public var verdict: (outcome: InboxOutcome, detail: String)?
    /// The body exactly as received.
    public var body: [UInt8]
    /// The `Stripe-Signature` header as received.
    public var signatureHeader: String?
    /// When Ferry first received it.
    public var receivedAt: Date

    /// Creates a notification.
    public init(
        provider: PaymentProvider, eventID: String, eventType: String, event: PaymentEvent?, verdict: (outcome: InboxOutcome, detail: String)? = nil,
        body: [UInt8], signatureHeader: String?, receivedAt: Date
    ) {
        self.provider = provider
        self.eventID = eventID
        self.eventType = eventType
        self.event = event
        self.verdict = verdict
        self.body = body
        self.signatureHeader = signatureHeader
        self.receivedAt = receivedAt
    }
}

/// A stored notification with what is needed to run it again.
public struct StoredNotification: Sendable {
    public var event: InboxEvent
    /// The body exactly as received.
    public var body: [UInt8]
    /// The `Stripe-Signature` header as received.
    public var signatureHeader: String?
}

/// How payments extend subscriptions: the operator's calendar and grace days, and the
/// current time (a provider's payment time is never taken to be later than it).
public struct PaymentTerms: Sendable {
    /// The operator's calendar.
    public var calendar: BillingCalendar
    /// Grace days after an unpaid period.
    public var graceDays: Int
    /// The current time.
    public var now: Date
}

/// Whom `ferry payment resolve` credits an event to, and for what.
public struct ResolveTarget: Sendable {
    /// The user credited.
    public var userID: Int64
    /// Their name.
    public var username: String
    /// The plan paid for.
    public var plan: Plan
    /// Months paid for (1-120).
    public var months: Int
    /// Who resolves it (for the audit log).
    public var actor: String
}
