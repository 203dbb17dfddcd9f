import Billing

/// The billing parts the portal reads (plans, subscriptions, usage, orders) and the
/// admin's forms write; nil when Ferry runs without plans.
public struct PortalBilling: Sendable {
    /// The same limits the gateway enforces: quota used, manifest pulls left.
    public let limits: SubscriberLimits
    /// Plans, subscriptions, payments and reports in PostgreSQL.
    public let service: BillingService
    /// Where subscribers pay orders (Alipay, Stripe); nil when online payment is off.
    public let checkout: PaymentCheckout?

    /// Creates the billing parts.
    public init(limits: SubscriberLimits, service: BillingService, checkout: PaymentCheckout? = nil) {
        self.limits = limits
        self.service = service
        self.checkout = checkout.flatMap { $0.isEnabled ? $0 : nil }
    }
}
