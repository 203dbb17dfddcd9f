import Foundation
import PostgresNIO

/// Refunds: once per refund reference (billing review B2), at most what is left of the
/// payment, in its currency, under the paying user's lock; with `--end-access` the
/// subscription ends in the same transaction (B3).
extension PostgresBillingStore {
    /// Records a refund under the paying user's lock (see `BillingStore.refund`).
    public func refund(_ request: RefundRequest, at: Date) async throws -> RefundOutcome {
        guard let owner = try await paymentOwner(reference: request.paymentReference) else {
            throw BillingError.notFound("no payment with reference \(request.paymentReference)")
        }
        return try await locked(userID: owner.userID) { connection, current in
            let (refund, recorded) = try await insertRefund(request, at: at, on: connection)
            var subscription: Subscription?
            if let day = request.endAccessOn {
                let note = AuditNote(actor: request.actor, action: "subscription-end", target: owner.username, detail: "with refund \(request.refundReference)")
                subscription = try await end(current, username: owner.username, on: day, at: at, audit: note, on: connection)
            }
            return RefundOutcome(refund: refund, recorded: recorded, subscription: subscription)
        }
    }

    /// Who paid `reference`.
    func paymentOwner(reference: String) async throws -> (userID: Int64, username: String)? {
        try await run {
            let rows = try await client.query("SELECT user_id, username FROM payments WHERE reference = \(reference)", logger: logger)
            for try await row in rows.decode((Int64, String).self) { return row }
            return nil
        }
    }

    /// Records the refund on a connection holding the payer's lock. A refund reference
    /// recorded before with the same payment and amount changes nothing; with other
    /// details it is refused.
    func insertRefund(_ request: RefundRequest, at: Date, on connection: PostgresConnection) async throws -> (Refund, recorded: Bool) {
        let rows = try await connection.query(
            """
            SELECT p.id, p.amount_minor, p.currency, p.username,
                   COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id), 0)::BIGINT
            FROM payments p WHERE p.reference = \(request.paymentReference) FOR UPDATE
            """,
            logger: logger
        )
        var found: (Int64, Int64, String, String, Int64)?
        for try await row in rows.decode((Int64, Int64, String, String, Int64).self) { found = row }
        guard let (paymentID, paid, currency, username, refunded) = found else {
            throw BillingError.notFound("no payment with reference \(request.paymentReference)")
        }
        let earlier = try await connection.query(
            """
            SELECT r.id, p.reference, r.amount_minor, r.currency, r.reason, r.refunded_at FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.reference = \(request.refundReference)
            """,
            logger: logger
        )
        for try await (id, paymentReference, amount, refundCurrency, reason, refundedAt) in earlier.decode((Int64, String, Int64, String, String?, Date).self) {
            guard paymentReference == request.paymentReference, request.amountMinor == nil || request.amountMinor == amount else {
                throw BillingError.conflict("refund \(request.refundReference) was already recorded with other details (payment or amount): nothing changed")
            }
            let refund = Refund(
                id: id, reference: paymentReference, refundReference: request.refundReference, amountMinor: amount, currency: refundCurrency, reason: reason,
                refundedAt: refundedAt
            )
            return (refund, false)
        }
        let amount = request.amountMinor ?? (paid - refunded)
        guard amount > 0 else { throw BillingError.conflict("payment \(request.paymentReference) is already refunded in full") }
        guard amount <= paid - refunded else {
            throw BillingError.invalid("refund exceeds what is left of payment \(request.paymentReference): \(Money.format(paid - refunded, currency))")
        }
        let inserted = try await connection.query(
            """
            INSERT INTO refunds (payment_id, amount_minor, currency, reason, refunded_at, reference, recorded_by)
            VALUES (\(paymentID), \(amount), \(currency), \(request.reason), \(at), \(request.refundReference), \(request.actor)) RETURNING id
            """,
            logger: logger
        )
        var id: Int64 = 0
        for try await value in inserted.decode(Int64.self) { id = value }
        let detail = "\(Money.format(amount, currency)) of payment \(request.paymentReference), refund \(request.refundReference)"
            + (request.reason.map { ", reason: \($0.prefix(200))" } ?? "")
        try await record(AuditNote(actor: request.actor, action: "refund", target: username, detail: detail), at: at, on: connection)
        let refund = Refund(
            id: id, reference: request.paymentReference, refundReference: request.refundReference, amountMinor: amount, currency: currency,
            reason: request.reason, refundedAt: at
        )
        return (refund, true)
    }

    /// The currency of the payment `reference`.
    public func paymentCurrency(reference: String) async throws -> String {
        try await run {
            for try await currency in try await client.query("SELECT currency FROM payments WHERE reference = \(reference)", logger: logger).decode(String.self) {
                return currency
            }
            throw BillingError.notFound("no payment with reference \(reference)")
        }
    }
}
