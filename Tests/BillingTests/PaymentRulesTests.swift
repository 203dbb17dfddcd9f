import Foundation
import PaymentProviders
import Testing
import _CryptoExtras

@testable import Billing

/// Where an order is paid (Alipay's signed URL, Stripe's link) and how a replayed Stripe
/// event is read, without a database.
@Suite struct PaymentRulesTests {
    @Test func ordersArePaidWhereTheirPlanCanBe() throws {
        let merchant = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let alipayKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let alipay = try AlipayConfiguration(
            appID: "2021000123456789", merchantPrivateKeyPEM: merchant.pkcs8PEMRepresentation, alipayPublicKeyPEM: alipayKey.publicKey.pemRepresentation,
            notifyURL: URL(string: "https://mirror.example/billing/notify/alipay")!
        )
        let link = try StripePaymentLink(baseURL: URL(string: "https://buy.stripe.com/basic")!)
        let checkout = PaymentCheckout(alipay: alipay, stripeLinks: ["basic": link], orderLifetime: .seconds(1800))
        let basic = Plan(id: 1, name: "basic", priceMinor: 300, currency: "CNY", monthlyQuotaBytes: 1, requestsPerMinute: 1, manifestPullsPerWindow: 1,
                         manifestWindowSeconds: 1, maxConcurrentDownloads: 1, maxClientAddressesPerDay: 1)
        var team = basic
        team.name = "team"
        team.currency = "USD"
        var free = basic
        free.priceMinor = 0
        #expect(checkout.providers(for: basic) == [.alipay, .stripe])
        #expect(checkout.providers(for: team).isEmpty, "Alipay takes CNY only, and team has no link")
        #expect(checkout.providers(for: free).isEmpty)
        #expect(checkout.months(for: .alipay) == [1, 3, 6, 12] && checkout.months(for: .stripe) == [1])
        #expect(checkout.origins == ["https://buy.stripe.com", "https://openapi.alipay.com"])

        let now = Date(timeIntervalSince1970: 1_796_083_200)
        var order = Order(
            id: 7, orderNumber: "ferry_7_abcdefghij", userID: 1, username: "alice", planID: 1, planName: "basic", months: 3, amountMinor: 900, currency: "CNY",
            provider: "alipay", status: .created, createdAt: now, expiresAt: now + 1800, paidAt: nil
        )
        let url = try checkout.redirectURL(for: order, mobile: false, now: now)
        let items = URLComponents(url: url, resolvingAgainstBaseURL: false)?.queryItems ?? []
        #expect(items.first { $0.name == "method" }?.value == "alipay.trade.page.pay")
        #expect(items.first { $0.name == "biz_content" }?.value?.contains(#""out_trade_no":"ferry_7_abcdefghij""#) == true)
        #expect(items.first { $0.name == "biz_content" }?.value?.contains(#""total_amount":"9.00""#) == true)
        #expect(items.first { $0.name == "biz_content" }?.value?.contains(#""timeout_express":"30m""#) == true)
        let mobile = try checkout.redirectURL(for: order, mobile: true, now: now)
        #expect(mobile.absoluteString.contains("method=alipay.trade.wap.pay"))
        order.provider = "stripe"
        #expect(try checkout.redirectURL(for: order, mobile: false, now: now).absoluteString == "https://buy.stripe.com/basic?client_reference_id=ferry_7_abcdefghij")
        order.planName = "pro"
        #expect(throws: BillingError.self) { try checkout.redirectURL(for: order, mobile: false, now: now) }
        #expect(order.state(at: now) == "created" && order.state(at: now + 1801) == "expired")
    }

    @Test func aReplayedStripeEventIsReadAtTheTimeItWasSigned() {
        #expect(PaymentInbox.stripeTimestamp("t=1714566896,v1=abc") == 1_714_566_896)
        #expect(PaymentInbox.stripeTimestamp(" v1=abc, t=12") == 12)
        #expect(PaymentInbox.stripeTimestamp("v1=abc") == nil)
    }
}
