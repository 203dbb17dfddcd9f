import Billing
import Foundation
import Testing

/// The Renew button end to end in headless Chromium: sign in, press Renew, catch the
/// browser on its way to Alipay and check the URL's signature (with Ferry's key check
/// and Alipay's own SDK), post the notification Alipay would send, reload: the new period
/// end and a receipt. Then the operator view: the inbox, the refund form, the export
/// link, and a payment form whose labels sit beside their inputs.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PaymentBrowserTests {
    @Test func renewWithAlipayInTheBrowserThenSeeThePaymentAndItsReceipt() async throws {
        try #require(HeadlessChromium.isInstalled, "chromium is missing at /usr/bin/chromium (scripts/install-deps.sh installs it)")
        let directory = temporaryDirectory("payment-browser")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keys = try PaymentKeys.make(in: directory + "/keys")
        try await withSubscriberFerry(billing: true, configuration: keys.configuration) { subscriber in
            try await subscriber.addSubscriber("alice")
            try await subscriber.addUser("root")
            _ = try await subscriber.accounts.setRole("root", .admin)
            let base = subscriber.ferry.url
            let before = try #require(try await subscriber.billing!.subscription(userID: try await subscriber.accounts.user("alice").id)).periodEnd
            let checkout = try await HeadlessChromium.run(in: directory) { pageURL in
                try await DevToolsSession.withPage(pageURL) { page -> String in
                    try await page.call("Emulation.setDeviceMetricsOverride", ["width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false])
                    try await Self.signIn(page, base: base, "alice")
                    try await page.navigate("\(base)/account/billing")
                    #expect(try await page.evaluate("document.getElementById('period-end').textContent") as? String == before.description)
                    // Stop the browser at Alipay's door: the request is caught, not sent.
                    try await page.call("Fetch.enable", ["patterns": [["urlPattern": PaymentKeys.gateway + "*", "requestStage": "Request"] as [String: any Sendable]]])
                    try await page.evaluate("document.getElementById('pay-alipay-basic').click()")
                    let paused = try await page.waitForEvent("Fetch.requestPaused")
                    let request = try #require(paused["request"] as? [String: Any])
                    let url = try #require(request["url"] as? String)
                    let page2 = "<!doctype html><title>Alipay (test)</title><h1>Alipay sandbox stand-in</h1>"
                    try await page.call("Fetch.fulfillRequest", [
                        "requestId": try #require(paused["requestId"] as? String), "responseCode": 200,
                        "responseHeaders": [["name": "Content-Type", "value": "text/html; charset=utf-8"]], "body": Data(page2.utf8).base64EncodedString(),
                    ])
                    try await page.waitUntil("document.title === 'Alipay (test)'")
                    try await page.call("Fetch.disable")
                    return url
                }
            }
            #expect(checkout.hasPrefix(PaymentKeys.gateway + "?"), "\(checkout)")
            #expect(try keys.alipayURLVerifies(checkout), "Ferry's key check")
            if let verdict = try await AlipayOracle.verifies(checkout, publicKeyFile: keys.directory + "/merchant-public.pem") {
                #expect(verdict, "alipay-sdk-python's verify_with_rsa")
            }
            let tampered = checkout.replacingOccurrences(of: "3.00", with: "0.03")
            #expect(tampered != checkout && (try? keys.alipayURLVerifies(tampered)) != true)

            let (order, amount) = try PaymentKeys.order(inAlipayURL: checkout)
            let notification = try keys.alipayNotification(order: order, amount: amount, tradeNo: "2026120422001499999", notifyID: "browser-notify")
            let answer = try await ProviderPost.alipay(base, notification)
            #expect(answer.status == 200 && answer.text == "success", "\(answer)")
            let after = try #require(try await subscriber.billing!.subscription(userID: try await subscriber.accounts.user("alice").id)).periodEnd
            #expect(after > before)

            try await HeadlessChromium.run(in: directory) { pageURL in
                try await DevToolsSession.withPage(pageURL) { page in
                    try await page.call("Emulation.setDeviceMetricsOverride", ["width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false])
                    try await Self.signIn(page, base: base, "alice")
                    try await page.navigate("\(base)/account/billing")
                    #expect(try await page.evaluate("document.getElementById('period-end').textContent") as? String == after.description)
                    #expect(try await page.evaluate("document.querySelector('a.receipt-link') !== null") as? Bool == true)
                    #expect(try await page.evaluate("document.body.textContent.includes('alipay:2026120422001499999')") as? Bool == true)
                    try await page.screenshot(to: directory + "/portal-billing.png")
                    try await page.markDocument()
                    try await page.evaluate("document.querySelector('a.receipt-link').click()")
                    try await page.waitForNewDocument()
                    #expect(try await page.evaluate("document.getElementById('receipt-amount').textContent") as? String == "3.00 CNY")
                    #expect(try await page.evaluate("document.getElementById('receipt-covers').textContent") as? String == "\(before) to \(after)")
                    try await page.screenshot(to: directory + "/portal-receipt.png")

                    try await page.markDocument()
                    try await page.evaluate("document.querySelector('form.signout button').click()")
                    try await page.waitForNewDocument()
                    try await Self.signIn(page, base: base, "root")
                    try await page.navigate("\(base)/account/admin")
                    for id in ["export-link", "refund-form", "payment-form", "inbox-heading"] {
                        #expect(try await page.evaluate("document.getElementById('\(id)') !== null") as? Bool == true, "\(id)")
                    }
                    // Every label of the payment and refund forms sits left of its own control, on its row.
                    let misplaced = try await page.evaluate("""
                        Array.from(document.querySelectorAll('#payment-form label, #refund-form label')).filter(label => {
                          const control = document.getElementById(label.htmlFor);
                          if (!control || label.contains(control)) return false;
                          const a = label.getBoundingClientRect(), b = control.getBoundingClientRect();
                          return !(a.right <= b.left + 1 && Math.abs((a.top + a.bottom) / 2 - (b.top + b.bottom) / 2) < 14);
                        }).map(label => label.htmlFor)
                        """) as? [String]
                    #expect(misplaced == [], "labels not beside their inputs: \(misplaced ?? [])")
                    try await page.screenshot(to: directory + "/operator-payments.png")
                }
            }
        }
        for name in ["portal-billing", "portal-receipt", "operator-payments"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(name).png")[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name).png")
        }
        print("payment screenshots: \(directory)")
    }

    /// Signs in through the form.
    static func signIn(_ page: DevToolsSession, base: String, _ username: String) async throws {
        try await page.navigate("\(base)/account/sign-in")
        try await page.markDocument()
        try await page.evaluate("""
            document.getElementById('username').value = \(DevToolsSession.quoted(username));
            document.getElementById('password').value = 'correct-horse-9';
            document.querySelector('main form button[type=submit]').click();
            """)
        try await page.waitUntil("location.pathname === '/account' && document.querySelector('h1').textContent === 'Dashboard'")
    }
}
