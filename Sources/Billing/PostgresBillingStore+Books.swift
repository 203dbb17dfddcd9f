import Foundation
import PostgresNIO

/// Reading the books: payments (with what was refunded of each), the month's
/// transactions for accounting, and the subscriptions about to end.
extension PostgresBillingStore {
    private static let paymentColumns = """
        p.id, p.user_id, p.username, p.amount_minor, p.currency, p.reference, p.months, p.paid_at,
        COALESCE((SELECT SUM(r.amount_minor) FROM refunds r WHERE r.payment_id = p.id), 0)::BIGINT,
        p.provider, o.order_number, p.recorded_by, p.covers_from, p.covers_to, o.plan_name
        """

    private typealias PaymentRow = (Int64, Int64, String, Int64, String, String, Int, Date, Int64, String?, String?, String?, CalendarDay?, CalendarDay?, String?)

    private func payments(where condition: PostgresQuery) async throws -> [Payment] {
        try await run {
            var query = PostgresQuery(unsafeSQL: "SELECT \(Self.paymentColumns) FROM payments p LEFT JOIN orders o ON o.id = p.order_id WHERE ")
            query.sql += condition.sql
            query.binds = condition.binds
            query.sql += " ORDER BY p.paid_at, p.id"
            var payments: [Payment] = []
            for try await row in try await client.query(query, logger: logger).decode(PaymentRow.self) {
                payments.append(Payment(
                    id: row.0, userID: row.1, username: row.2, amountMinor: row.3, currency: row.4, reference: row.5, months: row.6, paidAt: row.7,
                    refundedMinor: row.8, provider: row.9, orderNumber: row.10, recordedBy: row.11, coversFrom: row.12, coversTo: row.13, planName: row.14
                ))
            }
            return payments
        }
    }

    /// A user's payments, oldest first, with what was refunded of each.
    public func payments(userID: Int64) async throws -> [Payment] {
        try await payments(where: "p.user_id = \(userID)")
    }

    /// The payments of every user, current or deleted, who had this name (billing review B9).
    public func payments(username: String) async throws -> [Payment] {
        try await payments(where: "p.user_id IN (SELECT id FROM users WHERE username = \(username) UNION SELECT id FROM deleted_users WHERE username = \(username))")
    }

    /// One payment.
    public func payment(id: Int64) async throws -> Payment? {
        try await payments(where: "p.id = \(id)").first
    }

    /// Whether a current or deleted user had this name.
    public func knowsUsername(_ username: String) async throws -> Bool {
        try await run {
            let rows = try await client.query(
                "SELECT EXISTS (SELECT 1 FROM users WHERE username = \(username)) OR EXISTS (SELECT 1 FROM deleted_users WHERE username = \(username))",
                logger: logger
            )
            for try await known in rows.decode(Bool.self) { return known }
            return false
        }
    }

    /// Every payment and refund whose time falls in `[start, end)`, in time order.
    public func transactions(from start: Date, to end: Date) async throws -> [BookEntry] {
        try await run {
            let rows = try await client.query(
                """
                SELECT 'payment', p.paid_at, p.username, NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id), COALESCE(p.provider, 'manual'),
                       p.reference, NULL::TEXT, o.order_number, p.amount_minor, p.currency, p.recorded_by
                FROM payments p LEFT JOIN orders o ON o.id = p.order_id WHERE p.paid_at >= \(start) AND p.paid_at < \(end)
                UNION ALL
                SELECT 'refund', r.refunded_at, p.username, NOT EXISTS (SELECT 1 FROM users u WHERE u.id = p.user_id), COALESCE(p.provider, 'manual'),
                       p.reference, r.reference, o.order_number, -r.amount_minor, r.currency, r.recorded_by
                FROM refunds r JOIN payments p ON p.id = r.payment_id LEFT JOIN orders o ON o.id = p.order_id
                WHERE r.refunded_at >= \(start) AND r.refunded_at < \(end)
                ORDER BY 2, 1, 6
                """,
                logger: logger
            )
            var entries: [BookEntry] = []
            for try await row in rows.decode((String, Date, String, Bool, String, String, String?, String?, Int64, String, String?).self) {
                entries.append(BookEntry(
                    kind: row.0 == "payment" ? .payment : .refund, at: row.1, username: row.2, deleted: row.3, provider: row.4, reference: row.5,
                    refundReference: row.6, orderNumber: row.7, amountMinor: row.8, currency: row.9, recordedBy: row.10
                ))
            }
            return entries
        }
    }

    /// Subscriptions of current users whose paid time ends on or after `since` and before
    /// `day`, soonest first, with the plan of their last paid period.
    public func expiring(since: CalendarDay, before day: CalendarDay) async throws -> [ExpiringSubscription] {
        try await run {
            let rows = try await client.query(
                """
                SELECT u.username, u.email, COALESCE(c.plan_name, p.name), s.period_end, s.cancelled_at IS NOT NULL
                FROM subscriptions s JOIN users u ON u.id = s.user_id JOIN plans p ON p.id = s.plan_id
                LEFT JOIN LATERAL (
                    SELECT plan_name FROM charges c WHERE c.user_id = s.user_id AND c.voided_at IS NULL AND c.period_start < s.period_end
                    ORDER BY c.period_start DESC LIMIT 1
                ) c ON true
                WHERE s.period_end >= \(since.description)::DATE AND s.period_end < \(day.description)::DATE
                ORDER BY s.period_end, u.username
                """,
                logger: logger
            )
            var found: [ExpiringSubscription] = []
            for try await row in rows.decode((String, String?, String, CalendarDay, Bool).self) {
                found.append(ExpiringSubscription(username: row.0, email: row.1, plan: row.2, periodEnd: row.3, cancelled: row.4))
            }
            return found
        }
    }
}
