import Foundation

/// A payment to record: who paid, how much, for how many months, when, and who is
/// recording it.
public struct PaymentEntry: Sendable {
    /// Who paid.
    public var userID: Int64
    /// Their name.
    public var username: String
    /// How much, in minor units of `currency`.
    public var amountMinor: Int64
    /// An ISO 4217 code.
    public var currency: String
    /// Unique across all users: recording it again changes nothing.
    public var reference: String
    /// Months paid for (1-120).
    public var months: Int
    /// When the money was paid (the provider's time, or `--paid-at`); it counts in that
    /// month, and the subscription is extended as of that day.
    public var paidAt: Date
    /// `alipay` or `stripe`; nil for a payment recorded by hand.
    public var provider: String?
    /// The order it pays, if any.
    public var orderID: Int64?
    /// The audit row.
    public var audit: AuditNote

    /// Creates an entry.
    public init(
        userID: Int64, username: String, amountMinor: Int64, currency: String, reference: String, months: Int, paidAt: Date, provider: String? = nil,
        orderID: Int64? = nil, audit: AuditNote
    ) {
        self.userID = userID
        self.username = username
        self.amountMinor = amountMinor
        self.currency = currency
        self.reference = reference
        self.months = months
        self.paidAt = paidAt
        self.provider = provider
        self.orderID = orderID
        self.audit = audit
    }
}

/// A refund to record.
public struct RefundRequest: Sendable {
    /// The payment's reference.
    public var paymentReference: String
    /// The refund's own reference: running the same refund again changes nothing, and
    /// the same reference with other details is refused.
    public var refundReference: String
    /// Minor units; nil refunds what is left of the payment.
    public var amountMinor: Int64?
    /// Why (kept with the refund).
    public var reason: String?
    /// End the subscription on this day in the same transaction (`--end-access`).
    public var endAccessOn: CalendarDay?
    /// Who records it.
    public var actor: String

    /// Creates a request.
    public init(paymentReference: String, refundReference: String, amountMinor: Int64?, reason: String?, endAccessOn: CalendarDay? = nil, actor: String) {
        self.paymentReference = paymentReference
        self.refundReference = refundReference
        self.amountMinor = amountMinor
        self.reason = reason
        self.endAccessOn = endAccessOn
        self.actor = actor
    }
}

/// What recording a refund did.
public struct RefundOutcome: Sendable {
    /// The refund (the earlier one, for a replay).
    public let refund: Refund
    /// False when this refund reference was recorded before (nothing changed).
    public let recorded: Bool
    /// The subscription after `--end-access`.
    public let subscription: Subscription?
}

/// One line of the books: a payment or a refund (`ferry payment export`).
public struct BookEntry: Sendable, Equatable, Codable {
    /// What kind of money movement a line is.
    public enum Kind: String, Sendable, Codable {
        case payment
        case refund
    }

    /// Payment or refund.
    public var kind: Kind
    /// When the money moved.
    public var at: Date
    /// Their name.
    public var username: String
    /// The user was deleted since.
    public var deleted: Bool
    /// `alipay`, `stripe`, or `manual`.
    public var provider: String
    /// The payment's reference (for a refund, the payment it gives money back from).
    public var reference: String
    /// The refund's own reference.
    public var refundReference: String?
    /// The order paid, if any.
    public var orderNumber: String?
    /// Positive for payments, negative for refunds.
    public var amountMinor: Int64
    /// An ISO 4217 code.
    public var currency: String
    /// Who recorded it.
    public var recordedBy: String?

    /// Creates a line.
    public init(
        kind: Kind, at: Date, username: String, deleted: Bool, provider: String, reference: String, refundReference: String?, orderNumber: String?,
        amountMinor: Int64, currency: String, recordedBy: String?
    ) {
        self.kind = kind
        self.at = at
        self.username = username
        self.deleted = deleted
        self.provider = provider
        self.reference = reference
        self.refundReference = refundReference
        self.orderNumber = orderNumber
        self.amountMinor = amountMinor
        self.currency = currency
        self.recordedBy = recordedBy
    }
}

/// A subscription whose paid time ends soon (`ferry subscription list --expiring`).
public struct ExpiringSubscription: Sendable, Equatable, Codable {
    /// Their name.
    public var username: String
    /// Their e-mail address, for the reminder.
    public var email: String?
    /// The plan of the last paid period.
    public var plan: String
    /// Paid until (exclusive).
    public var periodEnd: CalendarDay
    /// It was cancelled: it will not be renewed.
    public var cancelled: Bool
}
