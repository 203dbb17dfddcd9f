import Foundation

/// A provider notification, verified and translated into Ferry's vocabulary.
///
/// Only ever produced after the notification's signature has been checked on
/// the raw request body.
public struct PaymentEvent: Sendable, Hashable {
    /// The provider that sent the notification.
    public let provider: PaymentProvider
    /// The provider's id for this notification, unique per provider: Alipay
    /// `notify_id`, Stripe event `id`. Use it to deduplicate redeliveries.
    public let providerEventID: String
    /// What happened.
    public let kind: PaymentEventKind
    /// Ferry's order number: Alipay `out_trade_no`, Stripe `client_reference_id`
    /// (or, for `charge.refunded`, the charge's order-number metadata). `nil`
    /// only for a Stripe refund whose charge carries no such metadata: find
    /// the order through ``tradeID`` then.
    public let orderNumber: String?
    /// The provider's id for the trade: Alipay `trade_no`; Stripe payment
    /// intent id, or the checkout session / charge id when there is no intent.
    public let tradeID: String
    /// The trade's total amount (Alipay `total_amount`, Stripe `amount_total`
    /// or the charge `amount`). For refunds, see ``PaymentEventKind/refunded(totalRefunded:)``.
    public let amount: MoneyAmount
    /// When the buyer paid: Alipay `gmt_payment` (Asia/Shanghai wall time),
    /// Stripe event `created` (checkout) or charge `created` (refund). `nil`
    /// when the notification carries no payment time (e.g. a trade closed
    /// before payment).
    public let paidAt: Date?
    /// When the notified change happened: Alipay `gmt_refund`, `gmt_close`,
    /// `gmt_payment` or `notify_time` (first present, by kind); Stripe event `created`.
    public let occurredAt: Date
    /// The provider's status text as sent: Alipay `trade_status`; Stripe event `type`.
    public let rawStatus: String

    /// The ISO 4217 code of ``amount``, upper case (e.g. `CNY`, `USD`).
    public var currency: String { amount.currency.code }

    /// Creates an event. Verification functions build these; the initializer is
    /// public for callers' tests and storage round trips.
    public init(
        provider: PaymentProvider,
        providerEventID: String,
        kind: PaymentEventKind,
        orderNumber: String?,
        tradeID: String,
        amount: MoneyAmount,
        paidAt: Date?,
        occurredAt: Date,
        rawStatus: String
    ) {
        self.provider = provider
        self.providerEventID = providerEventID
        self.kind = kind
        self.orderNumber = orderNumber
        self.tradeID = tradeID
        self.amount = amount
        self.paidAt = paidAt
        self.occurredAt = occurredAt
        self.rawStatus = rawStatus
    }
}
