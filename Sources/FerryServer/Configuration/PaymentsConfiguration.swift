import Billing
import Foundation
import PaymentProviders

/// Payments that record themselves: Alipay and Stripe checkouts and their signed
/// notifications (`POST /billing/notify/alipay`, `/billing/notify/stripe`). Both are off
/// unless configured. Keys and secrets come from files or the environment, never from
/// command-line flags, and are never logged.
///
/// Configuration keys:
/// - `payments.order-lifetime`: how long an order may be paid (5m-1d, default 30m; also
///   Alipay's `timeout_express`).
/// - `payments.alipay.app-id`: the application id on the Alipay open platform (turns Alipay on).
/// - `payments.alipay.private-key-file` (or `payments.alipay.private-key`, e.g.
///   `FERRY_PAYMENTS_ALIPAY_PRIVATE_KEY`): the application's RSA2 private key (PKCS#1 or
///   PKCS#8, PEM or Alipay's bare base64).
/// - `payments.alipay.alipay-public-key-file` (or `payments.alipay.alipay-public-key`):
///   Alipay's public key ("支付宝公钥"), which signs notifications.
/// - `payments.alipay.seller-id`: the merchant's 2088… partner id; notifications for
///   another seller are refused (kept as `rejected`).
/// - `payments.alipay.gateway`: default `https://openapi.alipay.com/gateway.do`; the
///   sandbox is `https://openapi-sandbox.dl.alipaydev.com/gateway.do`.
/// - `payments.alipay.notify-url`: default `<public-url>/billing/notify/alipay`.
/// - `payments.alipay.return-url`: where the browser returns, default `<public-url>/account/billing`.
/// - `payments.stripe.webhook-secrets-file` (or `payments.stripe.webhook-secrets`):
///   the endpoint's signing secrets (`whsec_…`), one or two (while rotating), one per
///   line or comma-separated (turns Stripe notifications on).
/// - `payments.stripe.links.<plan>`: the Stripe Payment Link (`https://buy.stripe.com/…`)
///   that sells one month of `<plan>`; Ferry appends `client_reference_id`.
public struct PaymentsConfiguration: Sendable {
    /// The checkouts subscribers can pay with.
    public var checkout: PaymentCheckout
    /// The Stripe endpoint secrets (empty: Stripe notifications are refused).
    public var stripeSecrets: [String]

    /// Whether any provider is configured.
    public var isEnabled: Bool { checkout.isEnabled || !stripeSecrets.isEmpty }

    /// What is on, for the start-up log and `ferry config-check` (no key material).
    public var summary: String {
        guard isEnabled else { return "off" }
        var parts: [String] = []
        if let alipay = checkout.alipay { parts.append("alipay app \(alipay.appID) via \(alipay.gatewayURL.host ?? "-")") }
        if !checkout.stripeLinks.isEmpty { parts.append("stripe links for \(checkout.stripeLinks.keys.sorted().joined(separator: ", "))") }
        if !stripeSecrets.isEmpty { parts.append("stripe notifications (\(stripeSecrets.count) secret\(stripeSecrets.count == 1 ? "" : "s"))") }
        parts.append("orders live \(ConfigValues.format(checkout.orderLifetime))")
        return parts.joined(separator: "; ")
    }

    /// Reads the keys above from the top-level `reader`; `publicURL` gives the defaults
    /// of the notify and return URLs.
    public init(reader: ConfigValues, publicURL: URL) throws(ConfigurationError) {
        let payments = reader.scoped(to: "payments")
        let lifetime = try payments.duration("order-lifetime", default: .seconds(1800), range: .seconds(300)...(.seconds(86400)))
        let alipay = try Self.alipay(payments.scoped(to: "alipay"), publicURL: publicURL)
        let stripe = payments.scoped(to: "stripe")
        let secretText = try stripe.secret("webhook-secrets") ?? ""
        stripeSecrets = secretText.split(whereSeparator: { $0 == "\n" || $0 == "," }).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard stripeSecrets.count <= 2 else {
            throw ConfigurationError("payments.stripe.webhook-secrets: at most two secrets (the current one and the one being rotated out)")
        }
        guard stripeSecrets.allSatisfy({ $0.hasPrefix("whsec_") }) else {
            throw ConfigurationError("payments.stripe.webhook-secrets: a Stripe endpoint secret starts with whsec_")
        }
        var links: [String: StripePaymentLink] = [:]
        let linkValues = stripe.scoped(to: "links")
        for plan in stripe.childKeys(of: "links") {
            guard let url = try linkValues.url(plan) else { continue }
            do {
                links[plan] = try StripePaymentLink(baseURL: url)
            } catch {
                throw ConfigurationError("payments.stripe.links.\(plan): \(error.reason)")
            }
        }
        checkout = PaymentCheckout(alipay: alipay, stripeLinks: links, orderLifetime: lifetime)
    }

    private static func alipay(_ values: ConfigValues, publicURL: URL) throws(ConfigurationError) -> AlipayConfiguration? {
        guard let appID = values.string("app-id") else {
            for key in ["private-key", "alipay-public-key", "seller-id"] where values.string(key) != nil || values.string("\(key)-file") != nil {
                throw ConfigurationError("payments.alipay.app-id: required with payments.alipay.\(key)")
            }
            return nil
        }
        guard let privateKey = try values.secret("private-key") else {
            throw ConfigurationError("payments.alipay.private-key-file: required with payments.alipay.app-id")
        }
        guard let alipayKey = try values.secret("alipay-public-key") else {
            throw ConfigurationError("payments.alipay.alipay-public-key-file: required with payments.alipay.app-id")
        }
        let base = publicURL.absoluteString.hasSuffix("/") ? String(publicURL.absoluteString.dropLast()) : publicURL.absoluteString
        let gateway = try values.url("gateway", default: AlipayConfiguration.productionGateway.absoluteString)!
        let notify = try values.url("notify-url", default: base + "/billing/notify/alipay")!
        let back = try values.url("return-url", default: base + "/account/billing")!
        do {
            return try AlipayConfiguration(
                appID: appID, gatewayURL: gateway, merchantPrivateKeyPEM: privateKey, alipayPublicKeyPEM: alipayKey, sellerID: values.string("seller-id"),
                notifyURL: notify, returnURL: back
            )
        } catch {
            throw ConfigurationError("payments.alipay: \(error.reason)")
        }
    }
}
