/// What a verified provider notification means for an order.
public enum PaymentEventKind: Sendable, Hashable {
    /// The buyer paid. Alipay `TRADE_SUCCESS` / `TRADE_FINISHED`; Stripe
    /// `checkout.session.completed` (or `checkout.session.async_payment_succeeded`)
    /// with `payment_status` `paid`.
    ///
    /// Alipay sends `TRADE_FINISHED` after `TRADE_SUCCESS` for the same trade
    /// (with a different `notify_id`): record payments idempotently by trade id.
    case paymentSucceeded
    /// The trade was closed without (further) payment: Alipay `TRADE_CLOSED`
    /// without refund fields; Stripe `checkout.session.expired`.
    case paymentClosed
    /// Money was returned to the buyer.
    ///
    /// `totalRefunded` is the *cumulative* amount refunded on the trade so far,
    /// as both providers report it (Alipay `refund_fee`, Stripe `amount_refunded`),
    /// not the amount of the latest partial refund.
    case refunded(totalRefunded: MoneyAmount)
}
