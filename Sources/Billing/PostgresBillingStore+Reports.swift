import Foundation
import PostgresNIO

extension PostgresBillingStore {
    /// The monthly report for days in `[first, next)`: usage of those days; what is due
    /// for the billing periods starting in them (as charged when each period was added,
    /// voided periods left out); payments and refunds whose time falls in
    /// `[monthStart, monthEnd)` (the month's bounds in the operator's zone), each in its
    /// own currency. Each line shows the plan, quota and sharing limit of the month's
    /// last period (billing review B5), falling back to the subscription's plan. Deleted
    /// users stay in, under their name. All of it is read in one read-only snapshot
    /// (B8), so a payment or a usage flush committed meanwhile is in all of it or none.
    public func report(_ query: ReportQuery) async throws -> UsageReport {
        let (from, until) = (query.first.description, query.next.description)
        let (monthStart, monthEnd) = (query.monthStart, query.monthEnd)
        do {
            return try await client.withConnection { connection in
                try await connection.query("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: logger)
                do {
                    let report = try await report(query, from: from, until: until, monthStart: monthStart, monthEnd: monthEnd, on: connection)
                    try await connection.query("COMMIT", logger: logger)
                    return report
                } catch {
                    _ = try? await connection.query("ROLLBACK", logger: logger)
                    throw error
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    private func report(_ query: ReportQuery, from: String, until: String, monthStart: Date, monthEnd: Date, on connection: PostgresConnection) async throws -> UsageReport {
        let rows = try await connection.query(
            """
            WITH names AS (
                SELECT id, username, false AS deleted FROM users
                UNION ALL SELECT id, username, true FROM deleted_users
            ), usage AS (
                SELECT user_id, SUM(manifest_pulls)::BIGINT AS manifest_pulls, SUM(blob_pulls)::BIGINT AS blob_pulls,
                       SUM(bytes_served)::BIGINT AS bytes_served, SUM(hit_bytes)::BIGINT AS hit_bytes
                FROM usage_daily WHERE day >= \(from)::DATE AND day < \(until)::DATE GROUP BY user_id
            ), addresses AS (
                SELECT user_id, MAX(n)::BIGINT AS peak FROM (
                    SELECT user_id, day, COUNT(*) AS n FROM usage_client_addresses
                    WHERE day >= \(from)::DATE AND day < \(until)::DATE GROUP BY user_id, day
                ) per_day GROUP BY user_id
            ), money AS (
                SELECT user_id FROM charges WHERE period_start >= \(from)::DATE AND period_start < \(until)::DATE AND voided_at IS NULL
                UNION SELECT user_id FROM payments WHERE paid_at >= \(monthStart) AND paid_at < \(monthEnd)
                UNION SELECT p.user_id FROM refunds r JOIN payments p ON p.id = r.payment_id WHERE r.refunded_at >= \(monthStart) AND r.refunded_at < \(monthEnd)
            )
            SELECT n.id, n.username, n.deleted, COALESCE(mc.plan_name, pl.name),
                   COALESCE(mc.monthly_quota_bytes, pl.monthly_quota_bytes), COALESCE(mc.max_client_ips_per_day, pl.max_client_ips_per_day),
                   COALESCE(usage.manifest_pulls, 0), COALESCE(usage.blob_pulls, 0), COALESCE(usage.bytes_served, 0), COALESCE(usage.hit_bytes, 0),
                   COALESCE(addresses.peak, 0)
            FROM names n
            LEFT JOIN subscriptions s ON s.user_id = n.id
            LEFT JOIN plans pl ON pl.id = s.plan_id
            LEFT JOIN LATERAL (
                SELECT c.plan_name, c.monthly_quota_bytes, c.max_client_ips_per_day FROM charges c
                WHERE c.user_id = n.id AND c.period_start < \(until)::DATE AND c.period_end > \(from)::DATE AND c.voided_at IS NULL
                ORDER BY c.period_start DESC LIMIT 1
            ) mc ON true
            LEFT JOIN usage ON usage.user_id = n.id
            LEFT JOIN addresses ON addresses.user_id = n.id
            WHERE (\(query.username)::TEXT IS NULL OR n.username = \(query.username))
              AND (\(query.userID)::BIGINT IS NULL OR n.id = \(query.userID))
              AND (usage.user_id IS NOT NULL OR n.id IN (SELECT user_id FROM money)
                   OR (s.period_start < \(until)::DATE AND s.period_end > \(from)::DATE))
            ORDER BY n.username, n.deleted, n.id
            """,
            logger: logger
        )
        var users: [UserUsage] = []
        var lineByUser: [Int64: Int] = [:]
        for try await row in rows.decode((Int64, String, Bool, String?, Int64?, Int?, Int64, Int64, Int64, Int64, Int64).self) {
            lineByUser[row.0] = users.count
            users.append(UserUsage(
                userID: row.0, username: row.1, deleted: row.2, plan: row.3, manifestPulls: row.6, blobPulls: row.7, bytesServed: row.8, hitBytes: row.9,
                quotaBytes: row.4, peakClientAddresses: Int(row.10), maxClientAddresses: row.5
            ))
        }
        let amounts = try await connection.query(
            """
            SELECT 'due', user_id, currency, SUM(amount_minor)::BIGINT FROM charges
            WHERE period_start >= \(from)::DATE AND period_start < \(until)::DATE AND voided_at IS NULL GROUP BY user_id, currency
            UNION ALL
            SELECT 'paid', user_id, currency, SUM(amount_minor)::BIGINT FROM payments
            WHERE paid_at >= \(monthStart) AND paid_at < \(monthEnd) GROUP BY user_id, currency
            UNION ALL
            SELECT 'refunded', p.user_id, r.currency, SUM(r.amount_minor)::BIGINT FROM refunds r JOIN payments p ON p.id = r.payment_id
            WHERE r.refunded_at >= \(monthStart) AND r.refunded_at < \(monthEnd) GROUP BY p.user_id, r.currency
            """,
            logger: logger
        )
        for try await (kind, userID, currency, minor) in amounts.decode((String, Int64, String, Int64).self) {
            guard let line = lineByUser[userID] else { continue }
            switch kind {
            case "due": users[line].due[currency, default: 0] += minor
            case "paid": users[line].paid[currency, default: 0] += minor
            default: users[line].refunded[currency, default: 0] += minor
            }
        }
        var upstreamBytes: Int64 = 0
        let fetched = try await connection.query(
            "SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM upstream_daily WHERE day >= \(from)::DATE AND day < \(until)::DATE",
            logger: logger
        )
        for try await total in fetched.decode(Int64.self) { upstreamBytes = total }
        return UsageReport(month: query.month, users: users, upstreamBytes: upstreamBytes)
    }

    /// The largest consumers of the month by bytes served.
    public func top(by dimension: TopDimension, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [TopUsage] {
        let column = switch dimension {
        case .user: "u.username"
        case .repo: "d.upstream || '/' || d.repository"
        case .upstream: "d.upstream"
        }
        return try await run {
            let rows = try await client.query(
                """
                SELECT \(unescaped: column) AS name, SUM(d.bytes_served)::BIGINT, SUM(d.manifest_pulls)::BIGINT
                FROM usage_daily d JOIN (SELECT id, username FROM users UNION ALL SELECT id, username || ' (deleted)' FROM deleted_users) u ON u.id = d.user_id
                WHERE d.day >= \(first.description)::DATE AND d.day < \(next.description)::DATE
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT \(limit)
                """,
                logger: logger
            )
            var result: [TopUsage] = []
            for try await (name, bytes, pulls) in rows.decode((String, Int64, Int64).self) { result.append(TopUsage(name: name, bytes: bytes, pulls: pulls)) }
            return result
        }
    }

    /// Bytes served from the cache and in all over the last `days` days, from the rollups.
    public func servedBytes(days: Int) async throws -> (fromCache: Int64, total: Int64) {
        let today = calendar.day(of: now()).description
        return try await run {
            let rows = try await client.query(
                """
                SELECT COALESCE(SUM(hit_bytes), 0)::BIGINT, COALESCE(SUM(bytes_served), 0)::BIGINT
                FROM usage_daily WHERE day > \(today)::DATE - \(days)
                """,
                logger: logger
            )
            for try await (hits, served) in rows.decode((Int64, Int64).self) { return (hits, served) }
            return (0, 0)
        }
    }
}
