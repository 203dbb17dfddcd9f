import Foundation
import PostgresNIO

/// The books: subscription changes, charges, payments and refunds, each change in one
/// transaction under a per-user advisory lock, so concurrent renewals, cancellations and
/// payments never lose each other's work.
extension PostgresBillingStore {
    /// Applies `change` to the user's current subscription under the user's lock, stores
    /// the result and records a charge (at its plan's current price) for every monthly
    /// period it covers that has none yet. Returns the stored subscription.
    public func changeSubscription(
        userID: Int64, username: String, calendar: BillingCalendar,
        _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Subscription? {
        try await locked(userID: userID) { connection, current in
            let next = try change(current)
            guard let subscription = next.subscription else { return current }
            try await write(subscription, username: username, repriceAfter: next.repriceAfter, calendar: calendar, on: connection)
            return subscription
        }
    }

    /// Records a payment and applies `change` in one transaction. Returns false (and
    /// changes nothing) when a payment with this reference exists (for any user);
    /// throws `conflict` when that payment differs (another user, amount or currency).
    public func recordPayment(
        userID: Int64, username: String, amountMinor: Int64, currency: String, reference: String, months: Int, paidAt: Date,
        calendar: BillingCalendar, _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Bool {
        try await locked(userID: userID) { connection, current in
            let inserted = try await connection.query(
                """
                INSERT INTO payments (user_id, username, amount_minor, currency, reference, months, paid_at)
                VALUES (\(userID), \(username), \(amountMinor), \(currency), \(reference), \(months), \(paidAt))
                ON CONFLICT (reference) DO NOTHING RETURNING id
                """,
                logger: logger
            )
            var isNew = false
            for try await _ in inserted.decode(Int64.self) { isNew = true }
            guard isNew else {
                let existing = try await connection.query("SELECT user_id, amount_minor, currency, months FROM payments WHERE reference = \(reference)", logger: logger)
                for try await (owner, amount, recordedCurrency, recordedMonths) in existing.decode((Int64, Int64, String, Int).self) {
                    if owner != userID || amount != amountMinor || recordedCurrency != currency || recordedMonths != months {
                        throw BillingError.conflict("payment \(reference) was already recorded with other details (user, amount, currency or months): nothing changed")
                    }
                }
                return false
            }
            let next = try change(current)
            if let subscription = next.subscription {
                try await write(subscription, username: username, repriceAfter: next.repriceAfter, calendar: calendar, on: connection)
            }
            return true
        }
    }

    /// Records a refund of `amountMinor` (default: what is left to refund) of the
    /// payment `reference`, in its currency. Refuses more than was paid.
    public func refund(reference: String, amountMinor: Int64?, reason: String?, at: Date) async throws -> Refund {
        do {
            return try await client.withTransaction(logger: logger) { connection -> Refund in
                let rows = try await connection.query(
                    """
                    SELECT p.id, p.amount_minor, p.currency, COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id), 0)::BIGINT
                    FROM payments p WHERE p.reference = \(reference) FOR UPDATE
                    """,
                    logger: logger
                )
                var found: (Int64, Int64, String, Int64)?
                for try await row in rows.decode((Int64, Int64, String, Int64).self) { found = row }
                guard let (paymentID, paid, currency, refunded) = found else { throw BillingError.notFound("no payment with reference \(reference)") }
                let amount = amountMinor ?? (paid - refunded)
                guard amount > 0 else { throw BillingError.conflict("payment \(reference) is already refunded in full") }
                guard amount <= paid - refunded else {
                    throw BillingError.invalid("refund exceeds what is left of payment \(reference): \(Money.format(paid - refunded, currency))")
                }
                let inserted = try await connection.query(
                    """
                    INSERT INTO refunds (payment_id, amount_minor, currency, reason, refunded_at)
                    VALUES (\(paymentID), \(amount), \(currency), \(reason), \(at)) RETURNING id
                    """,
                    logger: logger
                )
                var id: Int64 = 0
                for try await value in inserted.decode(Int64.self) { id = value }
                return Refund(id: id, reference: reference, amountMinor: amount, currency: currency, reason: reason, refundedAt: at)
            }
        } catch {
            throw Self.mapped(error)
        }
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

    /// A user's charges, oldest period first.
    public func charges(userID: Int64) async throws -> [Charge] {
        try await run {
            var charges: [Charge] = []
            let rows = try await client.query(
                "SELECT id, user_id, username, period_start, period_end, plan_name, amount_minor, currency FROM charges WHERE user_id = \(userID) ORDER BY period_start",
                logger: logger
            )
            for try await row in rows.decode((Int64, Int64, String, CalendarDay, CalendarDay, String, Int64, String).self) {
                charges.append(Charge(id: row.0, userID: row.1, username: row.2, periodStart: row.3, periodEnd: row.4, planName: row.5, amountMinor: row.6, currency: row.7))
            }
            return charges
        }
    }

    /// A user's payments, oldest first, with what was refunded of each.
    public func payments(userID: Int64) async throws -> [Payment] {
        try await run {
            var payments: [Payment] = []
            let rows = try await client.query(
                """
                SELECT p.id, p.user_id, p.username, p.amount_minor, p.currency, p.reference, p.months, p.paid_at,
                       COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id), 0)::BIGINT
                FROM payments p WHERE p.user_id = \(userID) ORDER BY p.paid_at, p.id
                """,
                logger: logger
            )
            for try await row in rows.decode((Int64, Int64, String, Int64, String, String, Int, Date, Int64).self) {
                payments.append(Payment(id: row.0, userID: row.1, username: row.2, amountMinor: row.3, currency: row.4, reference: row.5, months: row.6, paidAt: row.7, refundedMinor: row.8))
            }
            return payments
        }
    }

    // MARK: - Helpers

    /// Runs `body` in a transaction holding the user's advisory lock, with their
    /// subscription row locked.
    private func locked<T: Sendable>(userID: Int64, _ body: (PostgresConnection, Subscription?) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                try await connection.query("SELECT pg_advisory_xact_lock(\(userID))", logger: logger)
                let rows = try await connection.query(
                    "SELECT plan_id, anchor_day, period_start, period_end, cancelled_at FROM subscriptions WHERE user_id = \(userID) FOR UPDATE",
                    logger: logger
                )
                var current: Subscription?
                for try await (planID, anchor, start, end, cancelled) in rows.decode((Int64, Int, CalendarDay, CalendarDay, Date?).self) {
                    current = Subscription(userID: userID, planID: planID, anchorDay: anchor, periodStart: start, periodEnd: end, cancelledAt: cancelled)
                }
                return try await body(connection, current)
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Stores `subscription`, moves periods after `repriceAfter` to its plan, and
    /// charges every period it covers that has no charge yet.
    private func write(_ subscription: Subscription, username: String, repriceAfter: CalendarDay?, calendar: BillingCalendar, on connection: PostgresConnection) async throws {
        try await connection.query(
            """
            INSERT INTO subscriptions (user_id, plan_id, anchor_day, period_start, period_end, cancelled_at)
            VALUES (\(subscription.userID), \(subscription.planID), \(subscription.anchorDay), \(subscription.periodStart.description)::DATE,
                    \(subscription.periodEnd.description)::DATE, \(subscription.cancelledAt))
            ON CONFLICT (user_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, anchor_day = EXCLUDED.anchor_day, period_start = EXCLUDED.period_start,
                period_end = EXCLUDED.period_end, cancelled_at = EXCLUDED.cancelled_at, updated_at = now()
            """,
            logger: logger
        )
        if let repriceAfter {
            try await connection.query(
                """
                UPDATE charges c SET plan_id = p.id, plan_name = p.name, amount_minor = p.price_minor, currency = p.currency
                FROM plans p WHERE p.id = \(subscription.planID) AND c.user_id = \(subscription.userID) AND c.period_start > \(repriceAfter.description)::DATE
                """,
                logger: logger
            )
        }
        let periods = subscription.billingPeriods(calendar: calendar)
        guard !periods.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO charges (user_id, username, period_start, period_end, plan_id, plan_name, amount_minor, currency)
            SELECT \(subscription.userID), \(username), period.start, period.end, p.id, p.name, p.price_minor, p.currency
            FROM unnest(\(periods.map(\.start.description))::DATE[], \(periods.map(\.end.description))::DATE[]) AS period(start, "end")
            JOIN plans p ON p.id = \(subscription.planID)
            ON CONFLICT (user_id, period_start) DO NOTHING
            """,
            logger: logger
        )
    }
}
