import Foundation
import Logging
import PostgresNIO

/// The audit log in PostgreSQL (`audit_log` from `migrations/0005_portal.sql`).
public struct PostgresAuditLog: AuditLog {
    let client: PostgresClient
    let logger: Logger

    /// Uses a running `PostgresClient`.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    @discardableResult
    public func record(actor: String, action: String, target: String?, detail: String, at: Date) async throws -> AuditEntry {
        do {
            let rows = try await client.query(
                """
                INSERT INTO audit_log (at, actor, action, target, detail) VALUES (\(at), \(actor), \(action), \(target), \(detail))
                RETURNING id, at, actor, action, target, detail
                """,
                logger: logger
            )
            for try await row in rows.decode((Int64, Date, String, String, String?, String).self) {
                return AuditEntry(id: row.0, at: row.1, actor: row.2, action: row.3, target: row.4, detail: row.5)
            }
            throw AccountsError.internalFailure("insert returned no row")
        } catch {
            throw PostgresUserRepository.mapped(error)
        }
    }

    public func recent(limit: Int) async throws -> [AuditEntry] {
        do {
            let rows = try await client.query(
                "SELECT id, at, actor, action, target, detail FROM audit_log ORDER BY id DESC LIMIT \(limit)",
                logger: logger
            )
            var entries: [AuditEntry] = []
            for try await row in rows.decode((Int64, Date, String, String, String?, String).self) {
                entries.append(AuditEntry(id: row.0, at: row.1, actor: row.2, action: row.3, target: row.4, detail: row.5))
            }
            return entries
        } catch {
            throw PostgresUserRepository.mapped(error)
        }
    }
}
