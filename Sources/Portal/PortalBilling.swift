import Billing

/// The billing parts the portal reads (plans, subscriptions, usage) and the admin's
/// payment form writes; nil when Ferry runs without plans.
public struct PortalBilling: Sendable {
    /// The same limits the gateway enforces: quota used, manifest pulls left.
    public let limits: SubscriberLimits
    /// Plans, subscriptions, payments and reports in PostgreSQL.
    public let service: BillingService

    /// Creates the billing parts.
    public init(limits: SubscriberLimits, service: BillingService) {
        self.limits = limits
        self.service = service
    }
}
