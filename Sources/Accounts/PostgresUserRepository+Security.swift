import Foundation
import PostgresNIO

/// The security-review parts of the PostgreSQL repository (`migrations/0007_credentials_security.sql`).
extension PostgresUserRepository {
    public func revokeCredentials(userID: Int64, now: Date) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query("UPDATE access_tokens SET revoked_at = \(now) WHERE user_id = \(userID) AND revoked_at IS NULL", logger: logger)
                try await connection.query("UPDATE mirror_keys SET revoked_at = \(now) WHERE user_id = \(userID) AND revoked_at IS NULL", logger: logger)
                try await connection.query("UPDATE refresh_tokens SET revoked_at = \(now) WHERE user_id = \(userID) AND revoked_at IS NULL", logger: logger)
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    public func recordLoginPlace(userID: Int64, place: String, now: Date) async throws {
        try await run { client in
            try await client.query(
                """
                INSERT INTO login_places (user_id, place, last_success_at) SELECT id, \(place), \(now) FROM users WHERE id = \(userID)
                ON CONFLICT (user_id, place) DO UPDATE SET last_success_at = GREATEST(login_places.last_success_at, EXCLUDED.last_success_at)
                """,
                logger: logger
            )
        }
    }

    public func isKnownLoginPlace(username: String, places: [String], since: Date) async throws -> Bool {
        guard !places.isEmpty else { return false }
        return try await run { client in
            let rows = try await client.query(
                """
                SELECT 1 FROM login_places p JOIN users u ON u.id = p.user_id
                WHERE u.username = \(username) AND p.place = ANY(\(places)) AND p.last_success_at >= \(since) LIMIT 1
                """,
                logger: logger
            )
            for try await _ in rows.decode(Int.self) { return true }
            return false
        }
    }

    public func pruneLoginPlaces(userID: Int64, before: Date, keeping: Int) async throws {
        try await run { client in
            try await client.query(
                """
                DELETE FROM login_places WHERE user_id = \(userID) AND (last_success_at < \(before) OR place IN (
                    SELECT place FROM login_places WHERE user_id = \(userID) ORDER BY last_success_at DESC OFFSET \(max(0, keeping))))
                """,
                logger: logger
            )
        }
    }

    public func pruneSessions(userID: Int64, keepingNewest: Int) async throws {
        try await run { client in
            try await client.query(
                """
                DELETE FROM portal_sessions WHERE id IN (
                    SELECT id FROM portal_sessions WHERE user_id = \(userID) ORDER BY id DESC OFFSET \(max(0, keepingNewest)))
                """,
                logger: logger
            )
        }
    }

    public func deleteDeadCredentials(userID: Int64, before: Date) async throws {
        try await run { client in
            try await client.query(
                "DELETE FROM access_tokens WHERE user_id = \(userID) AND (revoked_at < \(before) OR expires_at < \(before))", logger: logger
            )
            try await client.query(
                "DELETE FROM mirror_keys WHERE user_id = \(userID) AND (revoked_at < \(before) OR expires_at < \(before))", logger: logger
            )
        }
    }
}
