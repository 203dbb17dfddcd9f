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
    public var id: Int64
    public var provider: String
    /// The provider's event id (Alipay `notify_id`, Stripe event id).
    public var eventID: String
    /// Alipay `trade_status`, Stripe event type.
    public var eventType: String
    public var orderNumber: String?
    public var tradeID: String?
    public var amountMinor: Int64?
    public var currency: String?
    public var refundedTotalMinor: Int64?
    public var paidAt: Date?
    public var receivedAt: Date
    /// How many times the provider delivered it.
    public var deliveries: Int
    public var outcome: InboxOutcome
    public var detail: String
    /// The payment it recorded or found.
    public var paymentReference: String?
}

/// What receiving a notification did: the stored event, and whether it had been
/// received before (a redelivery changes nothing and is answered as the first was).
public struct InboxReceipt: Sendable {
    public let event: InboxEvent
    public let duplicate: Bool
}

/// A verified notification on its way into the inbox.
public struct ReceivedNotification: Sendable {
    public var provider: PaymentProvider
    public var eventID: String
    public var eventType: String
    /// The translated event; nil when it needs no action (`verdict` says why).
    public var event: PaymentEvent?
    /// The outcome for an authentic notification that is not applied (unsupported type,
    /// another app or seller), with its detail.
    public var verdict: (outcome: InboxOutcome, detail: String)?
    public var body: [UInt8]
    public var signatureHeader: String?
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
    public var body: [UInt8]
    public var signatureHeader: String?
}

/// How payments extend subscriptions: the operator's calendar and grace days, and the
/// current time (a provider's payment time is never taken to be later than it).
public struct PaymentTerms: Sendable {
    public var calendar: BillingCalendar
    public var graceDays: Int
    public var now: Date
}

/// Whom `ferry payment resolve` credits an event to, and for what.
public struct ResolveTarget: Sendable {
    public var userID: Int64
    public var username: String
    public var plan: Plan
    public var months: Int
    public var actor: String
}
