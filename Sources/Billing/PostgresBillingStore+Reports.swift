import Foundation
import PostgresNIO

extension PostgresBillingStore {
    /// The monthly report for days in `[first, next)`; payments count when their time
    /// falls in `[monthStart, monthEnd)` (the month's bounds in the operator's zone).
    public func report(month: String, first: CalendarDay, next: CalendarDay, monthStart: Date, monthEnd: Date, username: String?) async throws -> UsageReport {
        try await run {
            let rows = try await client.query(
                """
                WITH usage AS (
                    SELECT user_id, SUM(manifest_pulls)::BIGINT AS manifest_pulls, SUM(blob_pulls)::BIGINT AS blob_pulls,
                           SUM(bytes_served)::BIGINT AS bytes_served, SUM(hit_bytes)::BIGINT AS hit_bytes
                    FROM usage_daily WHERE day >= \(first.description)::DATE AND day < \(next.description)::DATE GROUP BY user_id
                ), addresses AS (
                    SELECT user_id, MAX(n)::BIGINT AS peak FROM (
                        SELECT user_id, day, COUNT(*) AS n FROM usage_client_addresses
                        WHERE day >= \(first.description)::DATE AND day < \(next.description)::DATE GROUP BY user_id, day
                    ) per_day GROUP BY user_id
                ), paid AS (
                    SELECT user_id, SUM(amount_minor)::BIGINT AS paid FROM payments
                    WHERE paid_at >= \(monthStart) AND paid_at < \(monthEnd) GROUP BY user_id
                )
                SELECT u.username, p.name, p.price_minor, p.currency, p.monthly_quota_bytes, p.max_client_ips_per_day,
                       s.period_start < \(next.description)::DATE AND s.period_end > \(first.description)::DATE AS billed,
                       COALESCE(usage.manifest_pulls, 0), COALESCE(usage.blob_pulls, 0), COALESCE(usage.bytes_served, 0), COALESCE(usage.hit_bytes, 0),
                       COALESCE(addresses.peak, 0), COALESCE(paid.paid, 0)
                FROM users u
                LEFT JOIN subscriptions s ON s.user_id = u.id
                LEFT JOIN plans p ON p.id = s.plan_id
                LEFT JOIN usage ON usage.user_id = u.id
                LEFT JOIN addresses ON addresses.user_id = u.id
                LEFT JOIN paid ON paid.user_id = u.id
                WHERE (\(username)::TEXT IS NULL OR u.username = \(username))
                  AND (usage.user_id IS NOT NULL OR paid.user_id IS NOT NULL
                       OR (s.period_start < \(next.description)::DATE AND s.period_end > \(first.description)::DATE))
                ORDER BY u.username
                """,
                logger: logger
            )
            var users: [UserUsage] = []
            for try await row in rows.decode((String, String?, Int64?, String?, Int64?, Int?, Bool?, Int64, Int64, Int64, Int64, Int64, Int64).self) {
                users.append(UserUsage(
                    username: row.0, plan: row.1, manifestPulls: row.7, blobPulls: row.8, bytesServed: row.9, hitBytes: row.10,
                    quotaBytes: row.4, peakClientAddresses: Int(row.11), maxClientAddresses: row.5, currency: row.3,
                    dueMinor: row.6 == true ? (row.2 ?? 0) : 0, paidMinor: row.12
                ))
            }
            var upstreamBytes: Int64 = 0
            let fetched = try await client.query(
                "SELECT COALESCE(SUM(bytes), 0)::BIGINT FROM upstream_daily WHERE day >= \(first.description)::DATE AND day < \(next.description)::DATE",
                logger: logger
            )
            for try await total in fetched.decode(Int64.self) { upstreamBytes = total }
            return UsageReport(month: month, users: users, upstreamBytes: upstreamBytes)
        }
    }

    /// What `ferry usage top` ranks by.
    public enum TopDimension: String, Sendable, CaseIterable {
        case user
        case repo
        case upstream
    }

    /// The largest consumers of the month by bytes served.
    public func top(by dimension: TopDimension, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [(name: String, bytes: Int64, pulls: Int64)] {
        let column = switch dimension {
        case .user: "u.username"
        case .repo: "d.upstream || '/' || d.repository"
        case .upstream: "d.upstream"
        }
        return try await run {
            let rows = try await client.query(
                """
                SELECT \(unescaped: column) AS name, SUM(d.bytes_served)::BIGINT, SUM(d.manifest_pulls)::BIGINT
                FROM usage_daily d JOIN users u ON u.id = d.user_id
                WHERE d.day >= \(first.description)::DATE AND d.day < \(next.description)::DATE
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT \(limit)
                """,
                logger: logger
            )
            var result: [(String, Int64, Int64)] = []
            for try await row in rows.decode((String, Int64, Int64).self) { result.append(row) }
            return result
        }
    }
}
