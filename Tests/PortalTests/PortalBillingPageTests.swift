import FerryTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The billing pages without plans (in memory): no Billing link, a clear page instead
/// of an error, and order forms refused (orders need PostgreSQL; the integration suite
/// pays them).
@Suite struct PortalBillingPageTests {
    @Test func withoutPlansThereIsNothingToPay() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let dashboard = String(buffer: try await client.execute(uri: "/account", method: .get, headers: browser.headers).body)
            #expect(!dashboard.contains("href=\"/account/billing\""))
            let page = try await client.execute(uri: "/account/billing", method: .get, headers: browser.headers)
            #expect(page.status == .badRequest)
            #expect(String(buffer: page.body).contains("This Ferry runs without plans: there is nothing to pay."))
            let order = try await client.execute(
                uri: "/account/billing/orders", method: .post, headers: browser.formHeaders(),
                body: ByteBuffer(string: Browser.form(["csrf": browser.csrf, "plan": "basic", "months": "1", "provider": "alipay"]))
            )
            #expect(order.status == .badRequest)
            #expect(String(buffer: order.body).contains("Online payment is not set up on this Ferry"))
            let forged = try await client.execute(
                uri: "/account/billing/orders", method: .post, headers: browser.formHeaders(),
                body: ByteBuffer(string: Browser.form(["csrf": "forged", "plan": "basic", "months": "1", "provider": "alipay"]))
            )
            #expect(forged.status == .forbidden)
            #expect(try await client.execute(uri: "/account/billing/receipts/1", method: .get, headers: browser.headers).status == .notFound)
            #expect(try await client.execute(uri: "/account/billing", method: .get).status == .seeOther, "signed out: to the sign-in page")
        }
    }

    @Test func theNotifyEndpointsDoNotExistWithoutPayments() async throws {
        try await PortalHarness().run { client in
            let answer = try await client.execute(uri: "/billing/notify/alipay", method: .post, body: ByteBuffer(string: "a=b"))
            #expect(answer.status == .notFound)
        }
    }
}
