import Foundation
import PostgresNIO

/// One day's traffic of one subscriber.
public struct DailyBytes: Sendable, Equatable {
    /// Creates a day's figures.
    public init(day: CalendarDay, bytesServed: Int64, hitBytes: Int64) {
        self.day = day
        self.bytesServed = bytesServed
        self.hitBytes = hitBytes
    }

    /// The day, in the operator's time zone.
    public let day: CalendarDay
    /// Bytes written to the subscriber that day.
    public let bytesServed: Int64
    /// Of those, bytes that came from the cache.
    public let hitBytes: Int64
}

/// One repository's share of a subscriber's month.
public struct RepositoryUsage: Sendable, Equatable {
    /// `upstream/repository`, as `ferry usage top --by repo` names it.
    public let name: String
    /// Bytes written to the subscriber from it in the month.
    public let bytesServed: Int64
    /// Manifest pulls of it in the month.
    public let manifestPulls: Int64
}

/// What the subscriber portal's dashboard reads beyond the monthly report.
extension PostgresBillingStore {
    /// Bytes served to `userID` per day in `[first, next)`, as flushed; days without
    /// traffic are absent.
    public func dailyBytes(userID: Int64, first: CalendarDay, next: CalendarDay) async throws -> [DailyBytes] {
        try await run {
            let rows = try await client.query(
                """
                SELECT day, SUM(bytes_served)::BIGINT, SUM(hit_bytes)::BIGINT FROM usage_daily
                WHERE user_id = \(userID) AND day >= \(first.description)::DATE AND day < \(next.description)::DATE
                GROUP BY day ORDER BY day
                """,
                logger: logger
            )
            var days: [DailyBytes] = []
            // The day is decoded as a binary DATE, never as text (billing review B6).
            for try await (day, served, hits) in rows.decode((CalendarDay, Int64, Int64).self) {
                days.append(DailyBytes(day: day, bytesServed: served, hitBytes: hits))
            }
            return days
        }
    }

    /// The repositories that moved the most bytes to `userID` in `[first, next)`.
    public func topRepositories(userID: Int64, first: CalendarDay, next: CalendarDay, limit: Int) async throws -> [RepositoryUsage] {
        try await run {
            let rows = try await client.query(
                """
                SELECT upstream || '/' || repository, SUM(bytes_served)::BIGINT, SUM(manifest_pulls)::BIGINT FROM usage_daily
                WHERE user_id = \(userID) AND day >= \(first.description)::DATE AND day < \(next.description)::DATE AND repository <> '-'
                GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT \(limit)
                """,
                logger: logger
            )
            var repositories: [RepositoryUsage] = []
            for try await (name, served, pulls) in rows.decode((String, Int64, Int64).self) {
                repositories.append(RepositoryUsage(name: name, bytesServed: served, manifestPulls: pulls))
            }
            return repositories
        }
    }
}
