/// The payment service provider that produced a ``PaymentEvent``.
public enum PaymentProvider: String, Sendable, Hashable, Codable, CaseIterable {
    /// Alipay open platform (支付宝开放平台), RSA2-signed notifications.
    case alipay
    /// Stripe, HMAC-SHA256-signed webhooks.
    case stripe
}
