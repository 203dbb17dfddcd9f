import Foundation
import PostgresNIO

/// Orders: what a subscriber is about to pay for, frozen when they press Renew.
extension PostgresBillingStore {
    static let orderColumns = """
        id, order_number, user_id, username, plan_id, plan_name, months, amount_minor, currency, provider, status, created_at, expires_at, paid_at
        """

    typealias OrderRow = (Int64, String, Int64, String, Int64, String, Int, Int64, String, String, String, Date, Date, Date?)

    static func order(_ row: OrderRow) -> Order {
        Order(
            id: row.0, orderNumber: row.1, userID: row.2, username: row.3, planID: row.4, planName: row.5, months: row.6, amountMinor: row.7, currency: row.8,
            provider: row.9, status: OrderStatus(rawValue: row.10) ?? .created, createdAt: row.11, expiresAt: row.12, paidAt: row.13
        )
    }

    /// Creates an order numbered `ferry_<id>_<10 random base32 characters>` (a valid
    /// Alipay `out_trade_no` and Stripe `client_reference_id`), under the user's lock;
    /// refused when the user already has `openLimit` open orders.
    public func createOrder(_ draft: OrderDraft, openLimit: Int) async throws -> Order {
        let suffix = Self.randomSuffix()
        return try await locked(userID: draft.userID) { connection, _ in
            let open = try await connection.query(
                "SELECT count(*)::BIGINT FROM orders WHERE user_id = \(draft.userID) AND status = 'created' AND expires_at > \(draft.createdAt)",
                logger: logger
            )
            for try await count in open.decode(Int64.self) where count >= openLimit {
                throw BillingError.conflict("you have \(count) unpaid orders: pay one of them, or wait until they expire")
            }
            let plan = draft.plan
            let rows = try await connection.query(
                """
                WITH next AS (SELECT nextval('orders_id_seq') AS id)
                INSERT INTO orders (id, order_number, user_id, username, plan_id, plan_name, months, amount_minor, currency, provider, created_at, expires_at)
                SELECT next.id, 'ferry_' || next.id || '_' || \(suffix), \(draft.userID), \(draft.username), \(plan.id), \(plan.name), \(draft.months),
                       \(plan.priceMinor * Int64(draft.months)), \(plan.currency), \(draft.provider), \(draft.createdAt), \(draft.expiresAt)
                FROM next
                RETURNING \(unescaped: Self.orderColumns)
                """,
                logger: logger
            )
            for try await row in rows.decode(OrderRow.self) { return Self.order(row) }
            throw BillingError.databaseUnavailable("creating the order returned no row")
        }
    }

    /// The user's latest orders, newest first.
    public func orders(userID: Int64, limit: Int) async throws -> [Order] {
        try await run {
            let rows = try await client.query(
                "SELECT \(unescaped: Self.orderColumns) FROM orders WHERE user_id = \(userID) ORDER BY id DESC LIMIT \(limit)",
                logger: logger
            )
            var orders: [Order] = []
            for try await row in rows.decode(OrderRow.self) { orders.append(Self.order(row)) }
            return orders
        }
    }

    /// 10 characters of `a-z2-7` from the system's secure generator.
    static func randomSuffix() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var generator = SystemRandomNumberGenerator()
        return String((0..<10).map { _ in alphabet[Int(generator.next(upperBound: UInt32(alphabet.count)))] })
    }
}
