import Foundation
import Logging
import PostgresNIO

/// Plans, subscriptions, payments and usage in PostgreSQL (`migrations/0002_billing.sql`).
public struct PostgresBillingStore: UsageSink {
    let client: PostgresClient
    let logger: Logger
    /// The operator's calendar: which day "today" is (which period's plan applies).
    let calendar: BillingCalendar
    let now: @Sendable () -> Date

    /// Uses a running `PostgresClient`.
    public init(client: PostgresClient, logger: Logger, calendar: BillingCalendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!), now: @escaping @Sendable () -> Date = Date.init) {
        self.client = client
        self.logger = logger
        self.calendar = calendar
        self.now = now
    }

    // MARK: - Plans

    private static let planColumns = """
        id, name, price_minor, currency, monthly_quota_bytes, requests_per_minute,
        manifest_pulls_per_window, manifest_window_seconds, max_concurrent_downloads, max_client_ips_per_day
        """

    private typealias PlanRow = (Int64, String, Int64, String, Int64, Int, Int, Int, Int, Int)

    private static func plan(_ row: PlanRow) -> Plan {
        Plan(
            id: row.0, name: row.1, priceMinor: row.2, currency: row.3, monthlyQuotaBytes: row.4, requestsPerMinute: row.5,
            manifestPullsPerWindow: row.6, manifestWindowSeconds: row.7, maxConcurrentDownloads: row.8, maxClientAddressesPerDay: row.9
        )
    }

    public func plans() async throws -> [Plan] {
        try await run {
            var plans: [Plan] = []
            for try await row in try await client.query("SELECT \(unescaped: Self.planColumns) FROM plans ORDER BY price_minor, name", logger: logger).decode(PlanRow.self) {
                plans.append(Self.plan(row))
            }
            return plans
        }
    }

    public func plan(named name: String) async throws -> Plan? {
        try await run {
            for try await row in try await client.query("SELECT \(unescaped: Self.planColumns) FROM plans WHERE name = \(name)", logger: logger).decode(PlanRow.self) {
                return Self.plan(row)
            }
            return nil
        }
    }

    public func plan(id: Int64) async throws -> Plan? {
        try await run {
            for try await row in try await client.query("SELECT \(unescaped: Self.planColumns) FROM plans WHERE id = \(id)", logger: logger).decode(PlanRow.self) {
                return Self.plan(row)
            }
            return nil
        }
    }

    /// Inserts a plan, or updates the one with the same name (validated by
    /// `BillingService`), with its audit row in the same transaction.
    public func save(_ plan: Plan, audit: AuditNote?) async throws -> Plan {
        try await transaction { connection in
            let rows = try await connection.query(
                """
                INSERT INTO plans (name, price_minor, currency, monthly_quota_bytes, requests_per_minute, manifest_pulls_per_window,
                                   manifest_window_seconds, max_concurrent_downloads, max_client_ips_per_day)
                VALUES (\(plan.name), \(plan.priceMinor), \(plan.currency), \(plan.monthlyQuotaBytes), \(plan.requestsPerMinute),
                        \(plan.manifestPullsPerWindow), \(plan.manifestWindowSeconds), \(plan.maxConcurrentDownloads), \(plan.maxClientAddressesPerDay))
                ON CONFLICT (name) DO UPDATE SET
                    price_minor = EXCLUDED.price_minor, currency = EXCLUDED.currency, monthly_quota_bytes = EXCLUDED.monthly_quota_bytes,
                    requests_per_minute = EXCLUDED.requests_per_minute, manifest_pulls_per_window = EXCLUDED.manifest_pulls_per_window,
                    manifest_window_seconds = EXCLUDED.manifest_window_seconds, max_concurrent_downloads = EXCLUDED.max_concurrent_downloads,
                    max_client_ips_per_day = EXCLUDED.max_client_ips_per_day, updated_at = now()
                RETURNING \(unescaped: Self.planColumns)
                """,
                logger: logger
            )
            var saved: Plan?
            for try await row in rows.decode(PlanRow.self) { saved = Self.plan(row) }
            guard let saved else { throw BillingError.databaseUnavailable("saving the plan returned no row") }
            if let audit { try await record(audit, at: now(), on: connection) }
            return saved
        }
    }

    // MARK: - Subscriptions and payments

    public func subscription(userID: Int64) async throws -> Subscription? {
        try await run {
            let rows = try await client.query(
                "SELECT plan_id, anchor_day, period_start, period_end, cancelled_at FROM subscriptions WHERE user_id = \(userID)",
                logger: logger
            )
            for try await (planID, anchor, start, end, cancelled) in rows.decode((Int64, Int, CalendarDay, CalendarDay, Date?).self) {
                return Subscription(userID: userID, planID: planID, anchorDay: anchor, periodStart: start, periodEnd: end, cancelledAt: cancelled)
            }
            return nil
        }
    }

    /// The subscriptions of `userIDs`, in one statement (the operator page's, billing review B13).
    public func subscriptions(userIDs: [Int64]) async throws -> [Int64: Subscription] {
        guard !userIDs.isEmpty else { return [:] }
        return try await run {
            let rows = try await client.query(
                "SELECT user_id, plan_id, anchor_day, period_start, period_end, cancelled_at FROM subscriptions WHERE user_id = ANY(\(userIDs))",
                logger: logger
            )
            var found: [Int64: Subscription] = [:]
            for try await (userID, planID, anchor, start, end, cancelled) in rows.decode((Int64, Int64, Int, CalendarDay, CalendarDay, Date?).self) {
                found[userID] = Subscription(userID: userID, planID: planID, anchorDay: anchor, periodStart: start, periodEnd: end, cancelledAt: cancelled)
            }
            return found
        }
    }

    /// Writes a user's subscription row as is, with no charges (tests use it to move
    /// periods into the past); `changeSubscription` is the way to change one.
    public func save(_ subscription: Subscription) async throws {
        try await run {
            try await client.query(
                """
                INSERT INTO subscriptions (user_id, plan_id, anchor_day, period_start, period_end, cancelled_at)
                VALUES (\(subscription.userID), \(subscription.planID), \(subscription.anchorDay),
                        \(subscription.periodStart.description)::DATE, \(subscription.periodEnd.description)::DATE, \(subscription.cancelledAt))
                ON CONFLICT (user_id) DO UPDATE SET
                    plan_id = EXCLUDED.plan_id, anchor_day = EXCLUDED.anchor_day, period_start = EXCLUDED.period_start,
                    period_end = EXCLUDED.period_end, cancelled_at = EXCLUDED.cancelled_at, updated_at = now()
                """,
                logger: logger
            )
        }
    }

    // MARK: - Usage

    public func apply(_ batch: UsageBatch) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                let claimed = try await connection.query(
                    "INSERT INTO usage_batches (batch_id) VALUES (\(batch.id)) ON CONFLICT DO NOTHING RETURNING batch_id",
                    logger: logger
                )
                var isNew = false
                for try await _ in claimed.decode(UUID.self) { isNew = true }
                guard isNew else { return }
                for (key, counts) in batch.rows {
                    try await connection.query(
                        """
                        INSERT INTO usage_daily (day, user_id, upstream, repository, requests, manifest_pulls, blob_pulls, bytes_served, hit_bytes)
                        VALUES (\(key.day.description)::DATE, \(key.userID), \(key.upstream), \(key.repository),
                                \(counts.requests), \(counts.manifestPulls), \(counts.blobPulls), \(counts.bytesServed), \(counts.hitBytes))
                        ON CONFLICT (day, user_id, upstream, repository) DO UPDATE SET
                            requests = usage_daily.requests + EXCLUDED.requests,
                            manifest_pulls = usage_daily.manifest_pulls + EXCLUDED.manifest_pulls,
                            blob_pulls = usage_daily.blob_pulls + EXCLUDED.blob_pulls,
                            bytes_served = usage_daily.bytes_served + EXCLUDED.bytes_served,
                            hit_bytes = usage_daily.hit_bytes + EXCLUDED.hit_bytes
                        """,
                        logger: logger
                    )
                }
                for key in batch.addresses {
                    try await connection.query(
                        "INSERT INTO usage_client_addresses (day, user_id, address) VALUES (\(key.day.description)::DATE, \(key.userID), \(key.address)) ON CONFLICT DO NOTHING",
                        logger: logger
                    )
                }
                for (key, bytes) in batch.upstreamBytes {
                    try await connection.query(
                        """
                        INSERT INTO upstream_daily (day, upstream, bytes) VALUES (\(key.day.description)::DATE, \(key.upstream), \(bytes))
                        ON CONFLICT (day, upstream) DO UPDATE SET bytes = upstream_daily.bytes + EXCLUDED.bytes
                        """,
                        logger: logger
                    )
                }
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Bytes served to a user on days in `[from, to)`, as flushed.
    public func bytesServed(userID: Int64, from: CalendarDay, to: CalendarDay) async throws -> Int64 {
        try await run {
            let rows = try await client.query(
                "SELECT COALESCE(SUM(bytes_served), 0)::BIGINT FROM usage_daily WHERE user_id = \(userID) AND day >= \(from.description)::DATE AND day < \(to.description)::DATE",
                logger: logger
            )
            for try await total in rows.decode(Int64.self) { return total }
            return 0
        }
    }

    // MARK: - Helpers

    @discardableResult
    func run<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as BillingError {
            throw error
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Runs `body` in a transaction; errors come out as `BillingError`s.
    func transaction<T: Sendable>(_ body: (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await client.withTransaction(logger: logger) { connection in try await body(connection) }
        } catch {
            throw Self.mapped(error)
        }
    }

    static func mapped(_ error: any Error) -> any Error {
        if let error = error as? BillingError { return error }
        if let error = error as? PostgresTransactionError {
            // What failed inside the transaction, not the wrapper around it.
            if let cause = error.closureError ?? error.beginError ?? error.commitError { return mapped(cause) }
        }
        if let error = error as? PSQLError {
            if error.serverInfo?[.sqlState] == "42P01" { return BillingError.databaseUnavailable("database schema is missing: run ferry migrate") }
            return BillingError.databaseUnavailable("database error: \(error.serverInfo?[.message] ?? String(describing: error.code))")
        }
        return BillingError.databaseUnavailable("database error: \(error)")
    }
}

extension PostgresBillingStore: StandingSource {
    /// The plan and its limits are those of the last charged period that started on or
    /// before today: the period covering today, or in grace days the last one paid for
    /// (billing review B1), never the unpaid next plan; and the limits are the ones that
    /// period was sold with, not the plan's present ones (B11). Without charges, the
    /// subscription's plan.
    public func standing(userID: Int64) async throws -> Standing? {
        let today = calendar.day(of: now()).description
        return try await run {
            let rows = try await client.query(
                """
                SELECT u.username, s.plan_id, s.anchor_day, s.period_start, s.period_end, s.cancelled_at,
                       p.id, COALESCE(c.plan_name, p.name), COALESCE(c.amount_minor, p.price_minor), COALESCE(c.currency, p.currency),
                       COALESCE(c.monthly_quota_bytes, p.monthly_quota_bytes), COALESCE(c.requests_per_minute, p.requests_per_minute),
                       COALESCE(c.manifest_pulls_per_window, p.manifest_pulls_per_window), COALESCE(c.manifest_window_seconds, p.manifest_window_seconds),
                       COALESCE(c.max_concurrent_downloads, p.max_concurrent_downloads), COALESCE(c.max_client_ips_per_day, p.max_client_ips_per_day)
                FROM users u JOIN subscriptions s ON s.user_id = u.id
                LEFT JOIN LATERAL (
                    SELECT * FROM charges c WHERE c.user_id = u.id AND c.voided_at IS NULL AND c.period_start <= \(today)::DATE AND c.plan_id IS NOT NULL
                    ORDER BY c.period_start DESC LIMIT 1
                ) c ON true
                JOIN plans p ON p.id = COALESCE(c.plan_id, s.plan_id)
                WHERE u.id = \(userID)
                """,
                logger: logger
            )
            for try await row in rows.decode((String, Int64, Int, CalendarDay, CalendarDay, Date?, Int64, String, Int64, String, Int64, Int, Int, Int, Int, Int).self) {
                let (start, end) = (row.3, row.4)
                let plan = Plan(
                    id: row.6, name: row.7, priceMinor: row.8, currency: row.9, monthlyQuotaBytes: row.10, requestsPerMinute: row.11,
                    manifestPullsPerWindow: row.12, manifestWindowSeconds: row.13, maxConcurrentDownloads: row.14, maxClientAddressesPerDay: row.15
                )
                let subscription = Subscription(userID: userID, planID: row.1, anchorDay: row.2, periodStart: start, periodEnd: end, cancelledAt: row.5)
                return Standing(userID: userID, username: row.0, plan: plan, subscription: subscription)
            }
            return nil
        }
    }
}

extension PostgresBillingStore: BillingStore {}
