import Foundation
import PostgresNIO

/// The books: subscription changes, charges and payments, each change in one transaction
/// under a per-user advisory lock (so concurrent renewals, cancellations and payments
/// never lose each other's work), with its audit row in the same transaction.
extension PostgresBillingStore {
    /// Applies `change` to the user's current subscription under the user's lock, stores
    /// the result and records a charge (at its plan's current price and limits) for every
    /// monthly period it covers that has none yet. Returns the stored subscription.
    public func changeSubscription(
        userID: Int64, username: String, calendar: BillingCalendar, audit: AuditNote?,
        _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Subscription? {
        try await locked(userID: userID) { connection, current in
            let next = try change(current)
            guard let subscription = next.subscription else { return current }
            try await write(subscription, username: username, repriceAfter: next.repriceAfter, calendar: calendar, on: connection)
            if var audit {
                audit.detail += "; paid until \(subscription.periodEnd)"
                try await record(audit, at: now(), on: connection)
            }
            return subscription
        }
    }

    /// Ends the subscription on `day` (billing review B3): access stops that day with no
    /// grace, and the charges of periods starting on or after it are voided (kept in the
    /// books, no longer due).
    public func endSubscription(userID: Int64, username: String, on day: CalendarDay, at: Date, audit: AuditNote) async throws -> Subscription {
        try await locked(userID: userID) { connection, current in
            try await end(current, username: username, on: day, at: at, audit: audit, on: connection)
        }
    }

    /// `endSubscription` on a connection that holds the user's lock.
    func end(_ current: Subscription?, username: String, on day: CalendarDay, at: Date, audit: AuditNote, on connection: PostgresConnection) async throws -> Subscription {
        guard let current else { throw BillingError.notFound("\(username) has no subscription") }
        guard day >= current.periodStart else {
            throw BillingError.invalid("the subscription of \(username) starts on \(current.periodStart): it cannot end before that")
        }
        let ended = current.ended(on: day, at: at)
        try await connection.query(
            "UPDATE subscriptions SET period_end = \(ended.periodEnd.description)::DATE, cancelled_at = \(ended.cancelledAt), updated_at = now() WHERE user_id = \(current.userID)",
            logger: logger
        )
        try await connection.query(
            "UPDATE charges SET voided_at = \(at) WHERE user_id = \(current.userID) AND period_start >= \(ended.periodEnd.description)::DATE AND voided_at IS NULL",
            logger: logger
        )
        var note = audit
        note.detail += "; access ends on \(ended.periodEnd)"
        try await record(note, at: at, on: connection)
        return ended
    }

    /// Records a payment and applies `change` in one transaction. Returns false (and
    /// changes nothing) when a payment with this reference exists (for any user);
    /// throws `conflict` when that payment differs (another user, amount or currency).
    public func recordPayment(
        _ entry: PaymentEntry, calendar: BillingCalendar, _ change: @Sendable (Subscription?) throws -> SubscriptionChange
    ) async throws -> Bool {
        try await locked(userID: entry.userID) { connection, current in
            try await insertPayment(entry, current: current, calendar: calendar, on: connection, change) != nil
        }
    }

    /// Inserts the payment, applies `change`, notes the time it covers and writes the
    /// audit row, on a connection holding the user's lock. Returns the new payment's id,
    /// or nil when the reference was recorded before with the same details.
    func insertPayment(
        _ entry: PaymentEntry, current: Subscription?, calendar: BillingCalendar, on connection: PostgresConnection,
        _ change: (Subscription?) throws -> SubscriptionChange
    ) async throws -> Int64? {
        let inserted = try await connection.query(
            """
            INSERT INTO payments (user_id, username, amount_minor, currency, reference, months, paid_at, provider, order_id, recorded_by)
            VALUES (\(entry.userID), \(entry.username), \(entry.amountMinor), \(entry.currency), \(entry.reference), \(entry.months), \(entry.paidAt),
                    \(entry.provider), \(entry.orderID), \(entry.audit.actor))
            ON CONFLICT (reference) DO NOTHING RETURNING id
            """,
            logger: logger
        )
        var paymentID: Int64?
        for try await id in inserted.decode(Int64.self) { paymentID = id }
        guard let paymentID else {
            let existing = try await connection.query("SELECT user_id, amount_minor, currency, months FROM payments WHERE reference = \(entry.reference)", logger: logger)
            for try await (owner, amount, recordedCurrency, recordedMonths) in existing.decode((Int64, Int64, String, Int).self) {
                if owner != entry.userID || amount != entry.amountMinor || recordedCurrency != entry.currency || recordedMonths != entry.months {
                    throw BillingError.conflict("payment \(entry.reference) was already recorded with other details (user, amount, currency or months): nothing changed")
                }
            }
            return nil
        }
        let next = try change(current)
        if let subscription = next.subscription {
            try await write(subscription, username: entry.username, repriceAfter: next.repriceAfter, calendar: calendar, on: connection)
            let from = subscription.periodStart == current?.periodStart ? current?.periodEnd ?? subscription.periodStart : subscription.periodStart
            try await connection.query(
                "UPDATE payments SET covers_from = \(from.description)::DATE, covers_to = \(subscription.periodEnd.description)::DATE WHERE id = \(paymentID)",
                logger: logger
            )
            var note = entry.audit
            note.detail += "; paid until \(subscription.periodEnd)"
            try await record(note, at: now(), on: connection)
        } else {
            try await record(entry.audit, at: now(), on: connection)
        }
        return paymentID
    }

    /// A user's charges, oldest period first.
    public func charges(userID: Int64) async throws -> [Charge] {
        try await run {
            var charges: [Charge] = []
            let rows = try await client.query(
                """
                SELECT id, user_id, username, period_start, period_end, plan_name, amount_minor, currency, voided_at IS NOT NULL
                FROM charges WHERE user_id = \(userID) ORDER BY period_start
                """,
                logger: logger
            )
            for try await row in rows.decode((Int64, Int64, String, CalendarDay, CalendarDay, String, Int64, String, Bool).self) {
                charges.append(Charge(
                    id: row.0, userID: row.1, username: row.2, periodStart: row.3, periodEnd: row.4, planName: row.5, amountMinor: row.6, currency: row.7, voided: row.8
                ))
            }
            return charges
        }
    }

    // MARK: - Helpers

    /// Runs `body` in a transaction holding the user's advisory lock, with their
    /// subscription row locked.
    func locked<T: Sendable>(userID: Int64, _ body: (PostgresConnection, Subscription?) async throws -> T) async throws -> T {
        try await transaction { connection in
            try await body(connection, try await lockUser(userID, on: connection))
        }
    }

    /// Takes the user's advisory lock on `connection` (in its transaction) and returns
    /// their subscription, row-locked.
    func lockUser(_ userID: Int64, on connection: PostgresConnection) async throws -> Subscription? {
        try await connection.query("SELECT pg_advisory_xact_lock(\(userID))", logger: logger)
        let rows = try await connection.query(
            "SELECT plan_id, anchor_day, period_start, period_end, cancelled_at FROM subscriptions WHERE user_id = \(userID) FOR UPDATE",
            logger: logger
        )
        var current: Subscription?
        for try await (planID, anchor, start, end, cancelled) in rows.decode((Int64, Int, CalendarDay, CalendarDay, Date?).self) {
            current = Subscription(userID: userID, planID: planID, anchorDay: anchor, periodStart: start, periodEnd: end, cancelledAt: cancelled)
        }
        return current
    }

    /// Stores `subscription`, moves periods after `repriceAfter` to its plan, and
    /// charges every period it covers that has no charge yet (or only a voided one), at
    /// the plan's price and with its limits of this moment.
    func write(_ subscription: Subscription, username: String, repriceAfter: CalendarDay?, calendar: BillingCalendar, on connection: PostgresConnection) async throws {
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
                UPDATE charges c SET plan_id = p.id, plan_name = p.name, amount_minor = p.price_minor, currency = p.currency,
                    monthly_quota_bytes = p.monthly_quota_bytes, requests_per_minute = p.requests_per_minute,
                    manifest_pulls_per_window = p.manifest_pulls_per_window, manifest_window_seconds = p.manifest_window_seconds,
                    max_concurrent_downloads = p.max_concurrent_downloads, max_client_ips_per_day = p.max_client_ips_per_day
                FROM plans p WHERE p.id = \(subscription.planID) AND c.user_id = \(subscription.userID) AND c.period_start > \(repriceAfter.description)::DATE
                    AND c.voided_at IS NULL
                """,
                logger: logger
            )
        }
        let periods = subscription.billingPeriods(calendar: calendar)
        guard !periods.isEmpty else { return }
        try await connection.query(
            """
            INSERT INTO charges (user_id, username, period_start, period_end, plan_id, plan_name, amount_minor, currency, monthly_quota_bytes,
                                 requests_per_minute, manifest_pulls_per_window, manifest_window_seconds, max_concurrent_downloads, max_client_ips_per_day)
            SELECT \(subscription.userID), \(username), period.start, period.end, p.id, p.name, p.price_minor, p.currency, p.monthly_quota_bytes,
                   p.requests_per_minute, p.manifest_pulls_per_window, p.manifest_window_seconds, p.max_concurrent_downloads, p.max_client_ips_per_day
            FROM unnest(\(periods.map(\.start.description))::DATE[], \(periods.map(\.end.description))::DATE[]) AS period(start, "end")
            JOIN plans p ON p.id = \(subscription.planID)
            ON CONFLICT (user_id, period_start) DO UPDATE SET period_end = EXCLUDED.period_end, plan_id = EXCLUDED.plan_id, plan_name = EXCLUDED.plan_name,
                amount_minor = EXCLUDED.amount_minor, currency = EXCLUDED.currency, monthly_quota_bytes = EXCLUDED.monthly_quota_bytes,
                requests_per_minute = EXCLUDED.requests_per_minute, manifest_pulls_per_window = EXCLUDED.manifest_pulls_per_window,
                manifest_window_seconds = EXCLUDED.manifest_window_seconds, max_concurrent_downloads = EXCLUDED.max_concurrent_downloads,
                max_client_ips_per_day = EXCLUDED.max_client_ips_per_day, voided_at = NULL, created_at = now()
            WHERE charges.voided_at IS NOT NULL
            """,
            logger: logger
        )
    }
}
