import Foundation
import PaymentProviders

/// Where a subscriber pays an order: Alipay (a `page.pay` or `wap.pay` URL signed here,
/// no network call) and Stripe (the operator's Payment Link for the plan, carrying the
/// order number as `client_reference_id`). Configured by the operator; either may be off.
public struct PaymentCheckout: Sendable {
    /// Alipay's merchant application; nil when Alipay is off.
    public let alipay: AlipayConfiguration?
    /// Stripe Payment Links by plan name, one month each.
    public let stripeLinks: [String: StripePaymentLink]
    /// How long an order may be paid (also Alipay's `timeout_express`).
    public let orderLifetime: Duration

    /// Open orders one subscriber may have at once.
    public static let maximumOpenOrders = 5
    /// Months one Alipay order may pay for.
    public static let alipayMonths = [1, 3, 6, 12]

    /// Creates the checkout.
    public init(alipay: AlipayConfiguration?, stripeLinks: [String: StripePaymentLink], orderLifetime: Duration) {
        self.alipay = alipay
        self.stripeLinks = stripeLinks
        self.orderLifetime = orderLifetime
    }

    /// Whether any provider is configured.
    public var isEnabled: Bool { alipay != nil || !stripeLinks.isEmpty }

    /// The providers that can take payment for `plan` (Alipay takes CNY only).
    public func providers(for plan: Plan) -> [PaymentProvider] {
        guard plan.priceMinor > 0 else { return [] }
        var providers: [PaymentProvider] = []
        if alipay != nil, plan.currency == "CNY" { providers.append(.alipay) }
        if stripeLinks[plan.name] != nil, ISO4217Currency(code: plan.currency) != nil { providers.append(.stripe) }
        return providers
    }

    /// The month counts an order through `provider` may have.
    public func months(for provider: PaymentProvider) -> [Int] {
        provider == .alipay ? Self.alipayMonths : [1]
    }

    /// Where to send the browser to pay `order` (`mobile` picks Alipay's wap checkout).
    public func redirectURL(for order: Order, mobile: Bool, now: Date) throws -> URL {
        do {
            return try providerURL(for: order, mobile: mobile, now: now)
        } catch let error as BillingError {
            throw error
        } catch let error as PaymentRequestError {
            throw BillingError.invalid(error.reason)
        } catch {
            throw BillingError.invalid("the order cannot be paid: \(error)")
        }
    }

    private func providerURL(for order: Order, mobile: Bool, now: Date) throws -> URL {
        guard let currency = ISO4217Currency(code: order.currency) else { throw BillingError.invalid("\(order.currency) cannot be paid online") }
        let amount = try MoneyAmount(minorUnits: order.amountMinor, currency: currency)
        let subject = "Ferry \(order.planName), \(order.months) month\(order.months == 1 ? "" : "s")"
        let paymentOrder = try PaymentOrder(orderNumber: order.orderNumber, amount: amount, subject: subject)
        switch PaymentProvider(rawValue: order.provider) {
        case .alipay:
            guard let alipay else { throw BillingError.invalid("Alipay is not configured") }
            let minutes = max(1, min(21_600, Int(orderLifetime.components.seconds / 60)))
            return try alipayPagePayURL(order: paymentOrder, channel: mobile ? .wap : .page, timeoutMinutes: minutes, configuration: alipay, now: now)
        case .stripe:
            guard let link = stripeLinks[order.planName] else { throw BillingError.invalid("no Stripe payment link for \(order.planName)") }
            return try link.url(orderNumber: order.orderNumber)
        case nil:
            throw BillingError.invalid("unknown provider \(order.provider)")
        }
    }

    /// The origins the browser is sent to (for the pages' `form-action` policy).
    public var origins: [String] {
        var urls = stripeLinks.values.map(\.baseURL)
        if let alipay { urls.append(alipay.gatewayURL) }
        return Set(urls.compactMap { url in url.scheme.flatMap { scheme in url.host.map { "\(scheme)://\($0)\(url.port.map { ":\($0)" } ?? "")" } } }).sorted()
    }
}

extension BillingService {
    /// Creates an order for `months` of `planName` through `provider`: the price is the
    /// plan's today, frozen in the order. Refused when the provider cannot take that plan
    /// or month count, or when the user already has five open orders.
    public func createOrder(
        userID: Int64, username: String, planName: String, months: Int, provider: PaymentProvider, checkout: PaymentCheckout
    ) async throws -> Order {
        let plan = try await plan(named: planName)
        guard checkout.providers(for: plan).contains(provider) else {
            throw BillingError.invalid("\(plan.name) cannot be paid with \(provider == .alipay ? "Alipay" : "Stripe") here")
        }
        guard checkout.months(for: provider).contains(months) else {
            throw BillingError.invalid("choose \(checkout.months(for: provider).map(String.init).joined(separator: ", ")) months")
        }
        let now = now()
        let draft = OrderDraft(
            userID: userID, username: username, plan: plan, months: months, provider: provider.rawValue, createdAt: now,
            expiresAt: now.addingTimeInterval(TimeInterval(checkout.orderLifetime.components.seconds))
        )
        return try await store.createOrder(draft, openLimit: PaymentCheckout.maximumOpenOrders)
    }

    /// A user's latest orders, newest first.
    public func orders(userID: Int64, limit: Int = 20) async throws -> [Order] {
        try await store.orders(userID: userID, limit: limit)
    }

    /// The events of the inbox with these outcomes (by default those needing a person).
    public func inbox(outcomes: [InboxOutcome] = InboxOutcome.needingAttention, limit: Int = 200) async throws -> [InboxEvent] {
        try await store.inbox(outcomes: outcomes, limit: limit)
    }

    /// How payments extend subscriptions right now.
    var terms: PaymentTerms {
        PaymentTerms(calendar: calendar, graceDays: graceDays, now: now())
    }
}
