import Foundation
import PaymentProviders
import PostgresNIO

/// What applying one notification did.
struct ApplyResult: Sendable {
    var outcome: InboxOutcome
    var detail: String
    var paymentID: Int64?
}

/// Applying a verified notification to the books, on a connection holding the trade's
/// and the user's locks. Two keys make it idempotent: the event (provider, event id) in
/// the inbox, and the payment reference `<provider>:<trade id>`, so a second
/// notification about the same money (Alipay TRADE_FINISHED after TRADE_SUCCESS, Stripe
/// events in any order) changes nothing.
extension PostgresBillingStore {
    func apply(
        _ notification: ReceivedNotification, current: (userID: Int64, subscription: Subscription?)?, terms: PaymentTerms, on connection: PostgresConnection
    ) async throws -> ApplyResult {
        guard let event = notification.event else {
            let verdict = notification.verdict ?? (.ignored, "nothing to do")
            return ApplyResult(outcome: verdict.outcome, detail: verdict.detail)
        }
        switch event.kind {
        case .paymentSucceeded:
            return try await applyPayment(event, current: current, terms: terms, on: connection)
        case .refunded(let total):
            return try await applyRefund(
                provider: event.provider.rawValue, tradeID: event.tradeID, totalMinor: total.minorUnits, currency: total.currency.code,
                at: min(event.occurredAt, terms.now), on: connection
            )
        case .paymentClosed:
            return try await applyClosed(event, on: connection)
        }
    }

    private func applyPayment(
        _ event: PaymentEvent, current: (userID: Int64, subscription: Subscription?)?, terms: PaymentTerms, on connection: PostgresConnection
    ) async throws -> ApplyResult {
        let provider = event.provider.rawValue
        let reference = "\(provider):\(event.tradeID)"
        let paid = event.amount
        if let existing = try await paymentID(reference: reference, on: connection) {
            return ApplyResult(outcome: .applied, detail: "payment \(reference) was already recorded", paymentID: existing)
        }
        guard let number = event.orderNumber, let order = try await lockOrder(number, on: connection) else {
            return ApplyResult(outcome: .orphan, detail: "no order \(event.orderNumber ?? "-") for \(paid): resolve it with ferry payment resolve")
        }
        guard let current, current.userID == order.userID, let username = try await username(order.userID, on: connection) else {
            return ApplyResult(outcome: .orphan, detail: "order \(number) belongs to a deleted user: resolve it or refund \(paid)")
        }
        guard order.provider == provider else {
            return ApplyResult(outcome: .rejected, detail: "order \(number) was made for \(order.provider), not \(provider)")
        }
        guard paid.minorUnits == order.amountMinor, paid.currency.code == order.currency else {
            return ApplyResult(outcome: .rejected, detail: "paid \(paid), but order \(number) is for \(Money.format(order.amountMinor, order.currency)): nothing credited")
        }
        guard order.status != .paid else {
            return ApplyResult(outcome: .rejected, detail: "order \(number) was already paid by another trade: refund \(paid) or resolve it")
        }
        let paidAt = min(event.paidAt ?? event.occurredAt, terms.now)
        let months = order.months
        let entry = PaymentEntry(
            userID: order.userID, username: username, amountMinor: order.amountMinor, currency: order.currency, reference: reference, months: months,
            paidAt: paidAt, provider: provider, orderID: order.id,
            audit: AuditNote(
                actor: provider, action: "payment", target: username,
                detail: "\(paid) for \(months) month\(months == 1 ? "" : "s") of \(order.planName), order \(number)"
            )
        )
        let day = terms.calendar.day(of: paidAt)
        let (planID, graceDays, calendar, userID) = (order.planID, terms.graceDays, terms.calendar, order.userID)
        let paymentID = try await insertPayment(entry, current: current.subscription, calendar: calendar, on: connection) { subscription in
            Subscription.afterPayment(subscription, userID: userID, planID: planID, months: months, on: day, graceDays: graceDays, calendar: calendar)
        }
        try await connection.query(
            "UPDATE orders SET status = 'paid', paid_at = \(paidAt), payment_id = \(paymentID) WHERE id = \(order.id)",
            logger: logger
        )
        try await applyWaitingRefunds(provider: provider, tradeID: event.tradeID, terms: terms, on: connection)
        let late = order.expiresAt < paidAt ? " (the order had expired: credited anyway)" : ""
        return ApplyResult(outcome: .applied, detail: "recorded \(paid) from \(username) for order \(number)\(late)", paymentID: paymentID)
    }

    /// Records what a provider says was refunded in all (its totals are cumulative), so
    /// the same total twice, or two totals in either order, end in the same books.
    func applyRefund(provider: String, tradeID: String, totalMinor: Int64, currency: String, at: Date, on connection: PostgresConnection) async throws -> ApplyResult {
        let reference = "\(provider):\(tradeID)"
        let rows = try await connection.query(
            """
            SELECT p.id, p.amount_minor, p.currency, COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id), 0)::BIGINT
            FROM payments p WHERE p.reference = \(reference) FOR UPDATE
            """,
            logger: logger
        )
        var found: (Int64, Int64, String, Int64)?
        for try await row in rows.decode((Int64, Int64, String, Int64).self) { found = row }
        guard let (paymentID, paid, paidCurrency, refunded) = found else {
            return ApplyResult(outcome: .waiting, detail: "refund of \(Money.format(totalMinor, currency)) in all: payment \(reference) is not recorded yet")
        }
        guard currency == paidCurrency, totalMinor <= paid else {
            return ApplyResult(outcome: .rejected, detail: "refund total \(Money.format(totalMinor, currency)) does not fit payment \(reference) of \(Money.format(paid, paidCurrency))")
        }
        let refundReference = "\(reference):refunded:\(totalMinor)"
        let delta = totalMinor - refunded
        guard delta > 0, try await !refundExists(refundReference, on: connection) else {
            return ApplyResult(outcome: .applied, detail: "refunds of \(Money.format(refunded, paidCurrency)) in all were already recorded", paymentID: paymentID)
        }
        let request = RefundRequest(
            paymentReference: reference, refundReference: refundReference, amountMinor: delta, reason: "refunded at \(provider)", actor: provider
        )
        _ = try await insertRefund(request, at: at, on: connection)
        return ApplyResult(outcome: .applied, detail: "recorded a refund of \(Money.format(delta, paidCurrency)) (\(Money.format(totalMinor, paidCurrency)) in all)", paymentID: paymentID)
    }

    /// Applies the refunds that arrived before their payment (`waiting`), now that it is there.
    func applyWaitingRefunds(provider: String, tradeID: String, terms: PaymentTerms, on connection: PostgresConnection) async throws {
        let rows = try await connection.query(
            """
            SELECT id, refunded_total_minor, currency, occurred_at FROM payment_events
            WHERE provider = \(provider) AND trade_id = \(tradeID) AND outcome = 'waiting' AND kind = 'refund' ORDER BY id FOR UPDATE
            """,
            logger: logger
        )
        var waiting: [(Int64, Int64, String, Date?)] = []
        for try await row in rows.decode((Int64, Int64, String, Date?).self) { waiting.append(row) }
        for (id, total, currency, occurredAt) in waiting {
            var result = try await applyRefund(
                provider: provider, tradeID: tradeID, totalMinor: total, currency: currency, at: min(occurredAt ?? terms.now, terms.now), on: connection
            )
            result.detail += " (after its payment arrived)"
            _ = try await settle(id, result, on: connection)
        }
    }

    private func applyClosed(_ event: PaymentEvent, on connection: PostgresConnection) async throws -> ApplyResult {
        guard let number = event.orderNumber, let order = try await lockOrder(number, on: connection) else {
            return ApplyResult(outcome: .ignored, detail: "trade closed for no known order")
        }
        guard order.status == .created else { return ApplyResult(outcome: .ignored, detail: "order \(number) is \(order.status.rawValue)") }
        try await connection.query("UPDATE orders SET status = 'closed' WHERE id = \(order.id)", logger: logger)
        return ApplyResult(outcome: .applied, detail: "order \(number) closed unpaid")
    }

    // MARK: - Reads on the transaction's connection

    private func lockOrder(_ number: String, on connection: PostgresConnection) async throws -> Order? {
        let rows = try await connection.query("SELECT \(unescaped: Self.orderColumns) FROM orders WHERE order_number = \(number) FOR UPDATE", logger: logger)
        for try await row in rows.decode(OrderRow.self) { return Self.order(row) }
        return nil
    }

    private func paymentID(reference: String, on connection: PostgresConnection) async throws -> Int64? {
        for try await id in try await connection.query("SELECT id FROM payments WHERE reference = \(reference)", logger: logger).decode(Int64.self) { return id }
        return nil
    }

    private func username(_ userID: Int64, on connection: PostgresConnection) async throws -> String? {
        for try await name in try await connection.query("SELECT username FROM users WHERE id = \(userID)", logger: logger).decode(String.self) { return name }
        return nil
    }

    private func refundExists(_ reference: String, on connection: PostgresConnection) async throws -> Bool {
        for try await _ in try await connection.query("SELECT 1 FROM refunds WHERE reference = \(reference)", logger: logger).decode(Int.self) { return true }
        return false
    }
}
