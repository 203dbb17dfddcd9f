import Foundation
import PostgresNIO

/// Roles and web portal sessions (`migrations/0005_portal.sql`).
extension PostgresUserRepository {
    public func updateRole(userID: Int64, role: UserRole, now: Date) async throws {
        _ = try await run { client in
            try await client.query("UPDATE users SET role = \(role.rawValue), updated_at = \(now) WHERE id = \(userID)", logger: logger)
        }
    }

    private typealias SessionRow = (Int64, Int64, String, Date, Date, Date, String?, String?, Int)
    private static let sessionColumns = "s.id, s.user_id, s.csrf_token, s.created_at, s.last_seen_at, s.expires_at, s.user_agent, s.client_address, s.password_epoch"

    private static func session(_ row: SessionRow) -> PortalSession {
        PortalSession(
            id: row.0, userID: row.1, csrfToken: row.2, createdAt: row.3, lastSeenAt: row.4, expiresAt: row.5, userAgent: row.6, clientAddress: row.7,
            passwordEpoch: row.8
        )
    }

    public func createSession(
        userID: Int64, passwordEpoch: Int, secretHash: [UInt8], csrfToken: String, expiresAt: Date, userAgent: String?, clientAddress: String?, now: Date
    ) async throws -> PortalSession {
        try await run { client in
            let rows = try await client.query(
                """
                INSERT INTO portal_sessions AS s (user_id, secret_hash, csrf_token, created_at, last_seen_at, expires_at, user_agent, client_address, password_epoch)
                SELECT id, \(hex(secretHash)), \(csrfToken), \(now), \(now), \(expiresAt), \(userAgent), \(clientAddress), password_epoch
                FROM users WHERE id = \(userID) AND password_epoch = \(passwordEpoch)
                RETURNING \(unescaped: Self.sessionColumns)
                """,
                logger: logger
            )
            for try await row in rows.decode(SessionRow.self) { return Self.session(row) }
            throw AccountsError.refused("the password changed while signing in: sign in again")
        }
    }

    public func session(secretHash: [UInt8]) async throws -> (PortalSession, User)? {
        try await run { client -> (PortalSession, User)? in
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.sessionColumns) FROM portal_sessions s WHERE s.secret_hash = \(hex(secretHash))
                """,
                logger: logger
            )
            var found: PortalSession?
            for try await row in rows.decode(SessionRow.self) { found = Self.session(row) }
            guard let session = found, let user = try await user(id: session.userID) else { return nil }
            return (session, user)
        }
    }

    public func touchSession(id: Int64, now: Date) async throws {
        _ = try await run { client in
            try await client.query("UPDATE portal_sessions SET last_seen_at = \(now) WHERE id = \(id)", logger: logger)
        }
    }

    public func deleteSession(id: Int64) async throws {
        _ = try await run { client in
            try await client.query("DELETE FROM portal_sessions WHERE id = \(id)", logger: logger)
        }
    }

    public func deleteSessions(userID: Int64) async throws {
        _ = try await run { client in
            try await client.query("DELETE FROM portal_sessions WHERE user_id = \(userID)", logger: logger)
        }
    }

    public func deleteStaleSessions(idleTimeout: TimeInterval, now: Date) async throws -> Int {
        let idleSince = now.addingTimeInterval(-idleTimeout)
        return try await run { client in
            let rows = try await client.query(
                "DELETE FROM portal_sessions WHERE expires_at <= \(now) OR last_seen_at <= \(idleSince) RETURNING id",
                logger: logger
            )
            var count = 0
            for try await _ in rows.decode(Int64.self) { count += 1 }
            return count
        }
    }
}
