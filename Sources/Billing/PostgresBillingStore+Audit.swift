import Foundation
import PostgresNIO

extension PostgresBillingStore {
    /// Writes `note` to the audit log (`audit_log`, shown on the operator view) on
    /// `connection`, so the row commits with the change it describes.
    func record(_ note: AuditNote, at: Date, on connection: PostgresConnection) async throws {
        try await connection.query(
            "INSERT INTO audit_log (at, actor, action, target, detail) VALUES (\(at), \(note.actor), \(note.action), \(note.target), \(note.detail))",
            logger: logger
        )
    }
}
