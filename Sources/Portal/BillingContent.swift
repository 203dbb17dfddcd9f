import Billing
import Foundation
import PaymentProviders

/// The billing page: the subscription, a Renew or Switch button per plan and payment
/// provider, the subscriber's orders, and their payments with printable receipts.
struct BillingContent: Sendable {
    struct Summary: Sendable {
        let plan: String
        let status: String
        let statusTone: String
        let periodEnd: String
    }

    /// One month count a provider sells, as the select shows it.
    struct MonthChoice: Sendable {
        let months: Int
        let label: String
    }

    /// A plan the subscriber can pay for, with the button's words.
    struct Offer: Sendable {
        let plan: String
        let price: String
        let quota: String
        let action: String
        let isCurrent: Bool
        let alipay: Bool
        let alipayMonths: [MonthChoice]
        let stripe: Bool
    }

    struct OrderRow: Sendable {
        let number: String
        let plan: String
        let months: Int
        let amount: String
        let state: String
        let tone: String
        let created: String
        let provider: String
    }

    struct PaymentRow: Sendable {
        let paidAt: String
        let amount: String
        let refunded: String
        let hasRefund: Bool
        let reference: String
        let covers: String
        let receipt: String
    }

    let subscription: Summary?
    let offers: [Offer]
    let hasOffers: Bool
    let paysOnline: Bool
    let orders: [OrderRow]
    let hasOrders: Bool
    let payments: [PaymentRow]
    let hasPayments: Bool
    let timeZone: String

    /// `2026-12-04 17:30` in `zone`.
    static func format(_ date: Date, in zone: TimeZone) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
    }

    /// The plans offered: the current one first (Renew), then the others (Switch), only
    /// those some configured provider can take.
    static func offers(plans: [Plan], current: String?, checkout: PaymentCheckout?) -> [Offer] {
        guard let checkout else { return [] }
        let ordered = plans.filter { $0.name == current } + plans.filter { $0.name != current }
        return ordered.compactMap { plan in
            let providers = checkout.providers(for: plan)
            guard !providers.isEmpty else { return nil }
            let isCurrent = plan.name == current
            return Offer(
                plan: plan.name, price: Money.format(plan.priceMinor, plan.currency) + " / month", quota: UsageReport.bytes(plan.monthlyQuotaBytes),
                action: current == nil ? "Subscribe to \(plan.name)" : isCurrent ? "Renew \(plan.name)" : "Switch to \(plan.name)", isCurrent: isCurrent,
                alipay: providers.contains(.alipay),
                alipayMonths: checkout.months(for: .alipay).map {
                    MonthChoice(months: $0, label: "\($0) month\($0 == 1 ? "" : "s"), \(Money.format(plan.priceMinor * Int64($0), plan.currency))")
                },
                stripe: providers.contains(.stripe)
            )
        }
    }
}

/// A printable receipt for one payment.
struct ReceiptContent: Sendable {
    let number: String
    let paidAt: String
    let timeZone: String
    let username: String
    let description: String
    let covers: String
    let amount: String
    let refunded: String
    let hasRefund: Bool
    let provider: String
    let reference: String
    let orderNumber: String
    let issuer: String
}
