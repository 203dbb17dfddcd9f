import Foundation
import Logging
import PostgresNIO

/// The billing settings every process shares (`billing_settings`, billing review B4).
extension PostgresBillingStore {
    /// The stored settings; nil when none are stored yet (or the schema predates them).
    public static func settings(client: PostgresClient, logger: Logger) async throws -> BillingSettings? {
        do {
            let rows = try await client.query("SELECT time_zone, grace_days FROM billing_settings WHERE id = 1", logger: logger)
            for try await (zone, graceDays) in rows.decode((String, Int).self) {
                guard let timeZone = TimeZone(identifier: zone) else {
                    throw BillingError.invalid("the database stores the billing time zone \"\(zone)\", which this system does not know")
                }
                return BillingSettings(timeZone: timeZone, graceDays: graceDays)
            }
            return nil
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "42P01" {
            return nil
        } catch {
            throw mapped(error)
        }
    }

    /// Stores `settings` as the ones every process uses; returns the ones they replace
    /// (nil when none were stored, or they were the same).
    @discardableResult
    public static func store(_ settings: BillingSettings, by writer: String, client: PostgresClient, logger: Logger) async throws -> BillingSettings? {
        let previous = try await Self.settings(client: client, logger: logger)
        do {
            try await client.query(
                """
                INSERT INTO billing_settings (id, time_zone, grace_days, updated_by, updated_at)
                VALUES (1, \(settings.timeZone.identifier), \(settings.graceDays), \(writer), now())
                ON CONFLICT (id) DO UPDATE SET time_zone = EXCLUDED.time_zone, grace_days = EXCLUDED.grace_days,
                    updated_by = EXCLUDED.updated_by, updated_at = now()
                WHERE billing_settings.time_zone <> EXCLUDED.time_zone OR billing_settings.grace_days <> EXCLUDED.grace_days
                """,
                logger: logger
            )
        } catch {
            throw mapped(error)
        }
        return previous == settings ? nil : previous
    }
}
