import Accounts
import Billing
import Foundation
import Hummingbird
import PaymentProviders

/// The subscriber's billing page: Renew or Switch (an order, then the provider's
/// checkout), their orders, payments and printable receipts.
extension Portal {
    struct OrderForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let plan: String?
        let months: String?
        let provider: String?
    }

    /// `GET /account/billing`.
    func billingPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        guard let billing else { throw PortalError.badRequest("This Ferry runs without plans: there is nothing to pay.") }
        let service = billing.service
        let zone = service.calendar.timeZone
        var summary: BillingContent.Summary?
        // Read now, not the gateway's copy: a payment just made must show at once.
        if let standing = try await service.standing(userID: visitor.user.id) {
            let status = service.status(standing.subscription)
            summary = .init(
                plan: standing.plan.name, status: status.rawValue, statusTone: status == .active ? "ok" : status == .expired ? "bad" : "warn",
                periodEnd: standing.subscription.periodEnd.description
            )
        }
        let now = now()
        let orders = try await service.orders(userID: visitor.user.id)
        let payments = try await service.payments(userID: visitor.user.id).reversed()
        let offers = BillingContent.offers(plans: try await service.plans(), current: summary?.plan, checkout: billing.checkout)
        let content = BillingContent(
            subscription: summary, offers: offers, hasOffers: !offers.isEmpty, paysOnline: billing.checkout != nil,
            orders: orders.map { order in
                let state = order.state(at: now)
                return .init(
                    number: order.orderNumber, plan: order.planName, months: order.months, amount: Money.format(order.amountMinor, order.currency), state: state,
                    tone: state == "paid" ? "ok" : state == "created" ? "warn" : "", created: BillingContent.format(order.createdAt, in: zone),
                    provider: order.provider == "alipay" ? "Alipay" : "Stripe"
                )
            },
            hasOrders: !orders.isEmpty,
            payments: payments.map { payment in
                .init(
                    paidAt: BillingContent.format(payment.paidAt, in: zone), amount: Money.format(payment.amountMinor, payment.currency),
                    refunded: Money.format(payment.refundedMinor, payment.currency), hasRefund: payment.refundedMinor > 0, reference: payment.reference,
                    covers: Self.covers(payment), receipt: "/account/billing/receipts/\(payment.id)"
                )
            },
            hasPayments: !payments.isEmpty, timeZone: service.calendar.zoneName
        )
        var frame = frame("Billing", .billing, for: visitor)
        if request.uri.queryParameters["returned"] != nil {
            frame.notice = "Thank you. The payment shows here as soon as the provider confirms it (usually within seconds)."
        }
        return renderer.page("billing", frame: frame, content: content, formTargets: billing.checkout?.origins ?? [])
    }

    /// `POST /account/billing/orders`: freezes the plan, months and price in an order and
    /// sends the browser to the provider (303).
    func createOrder(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let form = try await form(OrderForm.self, of: request, for: visitor, context: context)
        guard let billing, let checkout = billing.checkout else {
            throw PortalError.badRequest("Online payment is not set up on this Ferry: contact the operator to renew.")
        }
        guard let planName = form.plan, !planName.isEmpty else { throw PortalError.badRequest("Choose a plan.") }
        guard let provider = form.provider.flatMap(PaymentProvider.init(rawValue:)) else { throw PortalError.badRequest("Choose how to pay.") }
        guard let months = Int(form.months ?? "1") else { throw PortalError.badRequest("Choose how many months.") }
        let order = try await billing.service.createOrder(
            userID: visitor.user.id, username: visitor.user.username, planName: planName, months: months, provider: provider, checkout: checkout
        )
        let mobile = (request.headers[.userAgent] ?? "").contains("Mobile")
        let url = try checkout.redirectURL(for: order, mobile: mobile, now: now())
        log("order", by: visitor, context: context, ["order": "\(order.orderNumber)", "provider": "\(provider.rawValue)"])
        return PageRenderer.redirect(to: url.absoluteString)
    }

    /// `GET /account/billing/receipts/:id`: the owner's (or an admin's) printable receipt.
    func receipt(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        guard let billing, let id = context.parameters.get("id").flatMap(Int64.init),
              let payment = try await billing.service.payment(id: id), payment.userID == visitor.user.id || visitor.user.role == .admin
        else { throw PortalError.notFound }
        let zone = billing.service.calendar.timeZone
        let content = ReceiptContent(
            number: payment.receiptNumber, paidAt: BillingContent.format(payment.paidAt, in: zone), timeZone: billing.service.calendar.zoneName, username: payment.username,
            description: "Ferry \(payment.planName ?? "subscription"), \(payment.months) month\(payment.months == 1 ? "" : "s")", covers: Self.covers(payment),
            amount: Money.format(payment.amountMinor, payment.currency), refunded: Money.format(payment.refundedMinor, payment.currency),
            hasRefund: payment.refundedMinor > 0, provider: payment.provider.map { $0 == "alipay" ? "Alipay" : "Stripe" } ?? "recorded by the operator",
            reference: payment.reference, orderNumber: payment.orderNumber ?? "-", issuer: settings.endpoint
        )
        return renderer.page("receipt", frame: frame("Receipt \(payment.receiptNumber)", .billing, for: visitor), content: content)
    }

    /// `2026-12-04 to 2027-01-04` (the end exclusive), or `-` when unknown.
    static func covers(_ payment: Payment) -> String {
        guard let from = payment.coversFrom, let to = payment.coversTo else { return "-" }
        return "\(from) to \(to)"
    }
}
