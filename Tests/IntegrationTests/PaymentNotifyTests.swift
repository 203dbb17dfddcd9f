import Foundation
import Testing

/// Signed Alipay notifications against the real `ferry serve` and PostgreSQL: an order
/// from the portal, its payment recorded exactly once however the provider retries, and
/// every other signed notification kept in the inbox, never lost and never applied twice.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PaymentNotifyTests {
    @Test func anAlipayPaymentIsRecordedOnceHoweverTheProviderRetries() async throws {
        try await withPaymentServer { server in
            try await server.addUser("alice")
            #expect(try await server.ferry(["subscription", "start", "alice", "--plan", "basic"]).succeeded)
            let before = try await server.periodEnd("alice")
            let location = try await server.order("alice", provider: "alipay")
            #expect(location.hasPrefix(PaymentKeys.gateway + "?"))
            #expect(try server.keys.alipayURLVerifies(location), "the checkout URL is signed with the merchant key")
            let (order, amount) = try PaymentKeys.order(inAlipayURL: location)
            #expect(amount == "3.00")

            let body = try server.keys.alipayNotification(order: order, amount: amount, tradeNo: "2026120422001400001", notifyID: "notify-1")
            let first = try await ProviderPost.alipay(server.url, body)
            #expect(first.status == 200 && first.text == "success", "\(first)")
            #expect(try await server.psql("SELECT reference || ' ' || amount_minor || ' ' || recorded_by FROM payments") == "alipay:2026120422001400001 300 alipay")
            #expect(try await server.psql("SELECT status FROM orders WHERE order_number = '\(order)'") == "paid")
            #expect(try await server.psql("SELECT count(*) FROM audit_log WHERE actor = 'alipay' AND action = 'payment' AND target = 'alice'") == "1")
            let after = try await server.periodEnd("alice")
            #expect(after > before, "\(before) -> \(after)")

            // The same notification again, then ten copies at once: answered the same, applied once.
            #expect(try await ProviderPost.alipay(server.url, body).text == "success")
            let answers = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<10 { group.addTask { try await ProviderPost.alipay(server.url, body).text } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(answers == Array(repeating: "success", count: 10))
            // TRADE_FINISHED later, for the same trade (a new notify_id): still one payment.
            let finished = try server.keys.alipayNotification(order: order, amount: amount, tradeNo: "2026120422001400001", notifyID: "notify-2", status: "TRADE_FINISHED")
            #expect(try await ProviderPost.alipay(server.url, finished).text == "success")
            #expect(try await server.psql("SELECT count(*) FROM payments") == "1")
            #expect(try await server.periodEnd("alice") == after)
            #expect(try await server.psql("SELECT deliveries FROM payment_events WHERE event_id = 'notify-1'") == "12")
            #expect(try await server.psql("SELECT string_agg(outcome, ',' ORDER BY id) FROM payment_events") == "applied,applied")
            let metrics = try await ProcessRunner.run("/usr/bin/curl", ["-s", server.url + "/metrics"]).output
            #expect(metrics.contains(#"ferry_payment_notifications_total{provider="alipay",outcome="duplicate"} 11"#), "\(metrics.split(separator: "\n").filter { $0.contains("payment") })")

            // The receipt: the owner sees it, nobody else does.
            let browser = PortalClient(base: server.url)
            defer { Task { try? await browser.shutdown() } }
            try await browser.signIn("alice", "correct-horse-9")
            let billing = try await browser.get("/account/billing")
            #expect(billing.html.contains("id=\"period-end\">\(after)<"), "the new period end")
            let paymentID = try await server.psql("SELECT id FROM payments")
            let receipt = try await browser.get("/account/billing/receipts/\(paymentID)")
            #expect(receipt.status == 200 && receipt.html.contains("3.00 CNY") && receipt.html.contains("alipay:2026120422001400001"))
            try await server.addUser("mallory")
            let other = PortalClient(base: server.url)
            defer { Task { try? await other.shutdown() } }
            try await other.signIn("mallory", "correct-horse-9")
            #expect(try await other.get("/account/billing/receipts/\(paymentID)").status == 404)
        }
    }

    @Test func aWrongAmountAnUnknownOrderAndAForgeryAreKeptOrRefused() async throws {
        try await withPaymentServer { server in
            try await server.addUser("bob")
            #expect(try await server.ferry(["subscription", "start", "bob", "--plan", "basic"]).succeeded)
            let before = try await server.periodEnd("bob")
            let (order, _) = try PaymentKeys.order(inAlipayURL: try await server.order("bob", provider: "alipay"))

            // Validly signed, 0.01 paid for a 3.00 order: kept as rejected, answered success, nothing extended.
            let cheap = try server.keys.alipayNotification(order: order, amount: "0.01", tradeNo: "T-CHEAP", notifyID: "n-cheap")
            #expect(try await ProviderPost.alipay(server.url, cheap).text == "success")
            #expect(try await server.psql("SELECT outcome FROM payment_events WHERE event_id = 'n-cheap'") == "rejected")
            #expect(try await server.psql("SELECT count(*) FROM payments") == "0")
            #expect(try await server.periodEnd("bob") == before)

            // A forged signature, a changed amount, a malformed body: refused, nothing stored.
            let forged = try server.keys.alipayNotification(order: order, amount: "3.00", tradeNo: "T-FORGED", notifyID: "n-forged")
                .replacingOccurrences(of: "total_amount=3.00", with: "total_amount=300.00")
            let refused = try await ProviderPost.alipay(server.url, forged)
            #expect(refused.status == 400 && refused.text == "fail", "\(refused)")
            let garbage = try await ProviderPost.alipay(server.url, "sign=%zz&&")
            #expect(garbage.status == 400 && garbage.text == "fail")
            let stripeForged = try await ProviderPost.stripe(server.url, #"{"id":"evt_x"}"#, secret: "whsec_not_the_secret")
            #expect(stripeForged.status == 400 && stripeForged.text.contains("signature"), "\(stripeForged)")
            let stale = try await ProviderPost.stripe(server.url, #"{"id":"evt_x"}"#, signedAt: Date().addingTimeInterval(-600))
            #expect(stale.status == 400 && stale.text.contains("timestamp"), "\(stale)")
            #expect(try await server.psql("SELECT count(*) FROM payment_events") == "1")

            // A valid payment for an order Ferry never made: an orphan, resolved by the operator.
            let unknown = try server.keys.alipayNotification(order: "ferry_999_aaaaaaaaaa", amount: "3.00", tradeNo: "T-ORPHAN", notifyID: "n-orphan")
            #expect(try await ProviderPost.alipay(server.url, unknown).text == "success")
            let inbox = try await server.ferry(["payment", "inbox"])
            #expect(inbox.output.contains("orphan") && inbox.output.contains("rejected") && inbox.output.contains("ferry_999_aaaaaaaaaa"), "\(inbox.output)")
            let orphanID = try await server.psql("SELECT id FROM payment_events WHERE event_id = 'n-orphan'")
            let resolved = try await server.ferry(["payment", "resolve", orphanID, "--user", "bob"])
            #expect(resolved.succeeded && resolved.output.contains("applied"), "\(resolved.output) \(resolved.error)")
            #expect(try await server.psql("SELECT reference || ' ' || recorded_by FROM payments") == "alipay:T-ORPHAN ferry-cli")
            #expect(try await server.periodEnd("bob") > before)
            // Resolving again, or replaying, changes nothing.
            #expect(try await server.ferry(["payment", "resolve", orphanID, "--user", "bob"]).status != 0)
            let replay = try await server.ferry(["payment", "replay", orphanID])
            #expect(replay.succeeded && replay.output.contains("applied"), "\(replay.output) \(replay.error)")
            let rejectedID = try await server.psql("SELECT id FROM payment_events WHERE event_id = 'n-cheap'")
            #expect(try await server.ferry(["payment", "replay", rejectedID]).output.contains("rejected"))
            #expect(try await server.psql("SELECT count(*) FROM payments") == "1")
            #expect(try await server.ferry(["payment", "inbox", "--json"]).output.contains("\"rejected\""))
        }
    }

    /// Alipay retries for about 25 hours: a payment made before the subscription expired
    /// and delivered after continues the paid period, and counts when it was paid.
    @Test func aPaymentDeliveredLateAfterExpiryContinuesThePeriod() async throws {
        try await withPaymentServer(environment: ["FERRY_BILLING_GRACE_DAYS": "0"]) { server in
            try await server.addUser("carol")
            #expect(try await server.ferry(["subscription", "start", "carol", "--plan", "basic"]).succeeded)
            let (order, amount) = try PaymentKeys.order(inAlipayURL: try await server.order("carol", provider: "alipay"))
            // The period ends today: with no grace days the subscription has expired.
            _ = try await server.psql("UPDATE subscriptions SET period_start = CURRENT_DATE - 30, period_end = CURRENT_DATE, anchor_day = EXTRACT(DAY FROM CURRENT_DATE)::INT")
            #expect(try await server.ferry(["subscription", "show", "carol", "--json"]).output.contains("\"expired\""))
            let paidAt = Date().addingTimeInterval(-25 * 3600)
            let late = try server.keys.alipayNotification(order: order, amount: amount, tradeNo: "T-LATE", notifyID: "n-late", paidAt: paidAt)
            #expect(try await ProviderPost.alipay(server.url, late).text == "success")
            #expect(try await server.psql("SELECT period_start = CURRENT_DATE - 30 AND period_end = (CURRENT_DATE + INTERVAL '1 month')::DATE FROM subscriptions") == "t")
            #expect(try await server.psql("SELECT abs(extract(epoch FROM paid_at) - \(Int(paidAt.timeIntervalSince1970))) < 1 FROM payments") == "t")
        }
    }

    /// Notifications lost in an outage longer than Alipay's retries come back from the
    /// day's statement, through the same keys: what was notified is not counted again.
    @Test func aStatementRecoversPaymentsWhoseNotificationsWereLost() async throws {
        try await withPaymentServer { server in
            try await server.addUser("gus")
            let (lost, _) = try PaymentKeys.order(inAlipayURL: try await server.order("gus", provider: "alipay"))
            let (notified, _) = try PaymentKeys.order(inAlipayURL: try await server.order("gus", provider: "alipay"))
            let body = try server.keys.alipayNotification(order: notified, amount: "3.00", tradeNo: "T-NOTIFIED", notifyID: "n-notified")
            #expect(try await ProviderPost.alipay(server.url, body).text == "success")
            let statement = temporaryDirectory("statement") + ".csv"
            try """
                #支付宝业务明细查询
                支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,订单金额（元）,商家实收（元）,退款批次号/请求号,备注
                T-LOST	,\(lost)	,交易	,Ferry basic	,2026-12-01 07:30:00,2026-12-01 07:30:10,,,,,x,3.00	,3.00	,,
                T-NOTIFIED	,\(notified)	,交易	,Ferry basic	,2026-12-01 08:00:00,2026-12-01 08:00:10,,,,,x,3.00	,3.00	,,
                T-NOTIFIED	,\(notified)	,退款	,Ferry basic	,2026-12-01 09:00:00,2026-12-01 09:00:10,,,,,x,-1.00	,-1.00	,R1,
                #交易合计：2笔
                """.write(toFile: statement, atomically: true, encoding: .utf8)
            let first = try await server.ferry(["payment", "reconcile", "--provider", "alipay", "--file", statement])
            #expect(first.succeeded, "\(first.error)")
            #expect(first.output.contains("2 payments in the statement: 1 already recorded, 1 applied"), "\(first.output)")
            #expect(first.output.contains("refund row not imported: trade T-NOTIFIED"), "\(first.output)")
            #expect(try await server.psql("SELECT string_agg(reference, ',' ORDER BY reference) FROM payments") == "alipay:T-LOST,alipay:T-NOTIFIED")
            let again = try await server.ferry(["payment", "reconcile", "--provider", "alipay", "--file", statement])
            #expect(again.output.contains("2 payments in the statement: 2 already imported"), "\(again.output)")
            #expect(try await server.psql("SELECT count(*) FROM payments") == "2")
            let wrong = try await server.ferry(["payment", "reconcile", "--provider", "stripe", "--file", statement])
            #expect(wrong.status != 0 && wrong.error.contains("--provider"))
        }
    }
}
