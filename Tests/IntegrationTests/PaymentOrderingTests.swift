import Foundation
import Testing

/// Stripe does not order its events and may deliver one twice: every ordering of
/// {payment, its duplicate, a refund, the refund's duplicate} ends in the same books.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PaymentOrderingTests {
    enum Delivery: CaseIterable {
        case payment, paymentAgain, refund, refundAgain
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { index in
            var rest = items
            let first = rest.remove(at: index)
            return permutations(rest).map { [first] + $0 }
        }
    }

    @Test func everyOrderingOfPaymentRefundAndDuplicatesEndsInTheSameBooks() async throws {
        try await withPaymentServer { server in
            try await server.addUser("dora")
            let browser = PortalClient(base: server.url)
            defer { Task { try? await browser.shutdown() } }
            try await browser.signIn("dora", "correct-horse-9")
            let orderings = Self.permutations(Delivery.allCases)
            #expect(orderings.count == 24)
            for (round, ordering) in orderings.enumerated() {
                let location = try await server.order("dora", provider: "stripe", browser: browser)
                #expect(location.hasPrefix(PaymentKeys.stripeLink + "?client_reference_id=ferry_"), "\(location)")
                let order = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "client_reference_id" }?.value)
                let intent = "pi_round\(round)"
                let payment = PaymentKeys.stripeCheckout(eventID: "evt_pay_\(round)", order: order, intent: intent, amount: 300)
                let refund = PaymentKeys.stripeRefund(eventID: "evt_refund_\(round)", intent: intent, amount: 300, refunded: 100)
                for delivery in ordering {
                    let body = delivery == .payment || delivery == .paymentAgain ? payment : refund
                    let answer = try await ProviderPost.stripe(server.url, body)
                    #expect(answer.status == 200 && answer.text == "{}", "round \(round) \(delivery): \(answer)")
                }
                let books = try await server.psql("""
                    SELECT p.amount_minor || ' paid, ' || COALESCE(SUM(r.amount_minor), 0) || ' refunded in ' || count(r.id) || ' refund'
                    FROM payments p LEFT JOIN refunds r ON r.payment_id = p.id WHERE p.reference = 'stripe:\(intent)' GROUP BY p.id
                    """)
                #expect(books == "300 paid, 100 refunded in 1 refund", "round \(round) \(ordering)")
                #expect(try await server.psql("SELECT string_agg(outcome, ',' ORDER BY event_id) FROM payment_events WHERE trade_id = '\(intent)'") == "applied,applied")
            }
            // 24 months paid, each once, in 24 payments with one refund each.
            #expect(try await server.psql("SELECT count(*) || ' ' || sum(months) FROM payments") == "24 24")
            #expect(try await server.psql("SELECT count(*) FROM refunds") == "24")
            #expect(try await server.psql("SELECT count(*) FROM charges") == "24")
            // The export lists every payment and refund of the month.
            let export = try await server.ferry(["payment", "export", "--format", "csv"])
            #expect(export.succeeded && export.output.split(separator: "\n").count == 49, "\(export.output.prefix(500)) \(export.error)")
            #expect(export.output.contains(",stripe,stripe:pi_round0,stripe:pi_round0:refunded:100,"))
        }
    }

    /// A refund larger than the payment, or in another currency, is kept as rejected.
    @Test func aRefundThatDoesNotFitIsRejected() async throws {
        try await withPaymentServer { server in
            try await server.addUser("erik")
            let location = try await server.order("erik", provider: "stripe")
            let order = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "client_reference_id" }?.value)
            #expect(try await ProviderPost.stripe(server.url, PaymentKeys.stripeCheckout(eventID: "evt_p", order: order, intent: "pi_x", amount: 300)).status == 200)
            #expect(try await ProviderPost.stripe(server.url, PaymentKeys.stripeRefund(eventID: "evt_r", intent: "pi_x", amount: 300, refunded: 900)).status == 200)
            #expect(try await server.psql("SELECT outcome FROM payment_events WHERE event_id = 'evt_r'") == "rejected")
            #expect(try await server.psql("SELECT count(*) FROM refunds") == "0")
            // The wrong amount for the order (a payment link whose price drifted) is rejected too.
            let second = try await server.order("erik", provider: "stripe")
            let other = try #require(URLComponents(string: second)?.queryItems?.first { $0.name == "client_reference_id" }?.value)
            #expect(try await ProviderPost.stripe(server.url, PaymentKeys.stripeCheckout(eventID: "evt_q", order: other, intent: "pi_y", amount: 250)).status == 200)
            #expect(try await server.psql("SELECT outcome FROM payment_events WHERE event_id = 'evt_q'") == "rejected")
            #expect(try await server.psql("SELECT count(*) FROM payments") == "1")
        }
    }
}
