import Foundation
import PostgresNIO

/// Refresh tokens (docker's stored logins) in PostgreSQL: kept, not rotated; each use
/// recorded and sliding the expiry; a password change (epoch) ends them.
extension PostgresUserRepository {
    typealias RefreshRow = (Int64, Int64, String, Date, Date, Date?, Date?, String?, Int64, Int, Int64?)
    static let refreshColumns =
        "id, user_id, client_id, created_at, expires_at, revoked_at, last_used_at, last_used_address, use_count, password_epoch, access_token_id"

    static func refreshToken(_ row: RefreshRow) -> RefreshToken {
        RefreshToken(
            id: row.0, userID: row.1, clientID: row.2, createdAt: row.3, expiresAt: row.4, revokedAt: row.5,
            lastUsedAt: row.6, lastUsedAddress: row.7, useCount: row.8, passwordEpoch: row.9, accessTokenID: row.10
        )
    }

    public func createRefreshToken(userID: Int64, secretHash: [UInt8], clientID: String, accessTokenID: Int64?, expiresAt: Date, now: Date) async throws -> RefreshToken {
        try await run { client in
            let rows = try await client.query(
                """
                INSERT INTO refresh_tokens (user_id, secret_hash, client_id, created_at, expires_at, password_epoch, access_token_id)
                SELECT id, \(hex(secretHash)), \(clientID), \(now), \(expiresAt), password_epoch, \(accessTokenID) FROM users WHERE id = \(userID)
                RETURNING \(unescaped: Self.refreshColumns)
                """,
                logger: logger
            )
            for try await row in rows.decode(RefreshRow.self) { return Self.refreshToken(row) }
            throw AccountsError.userNotFound(String(userID))
        }
    }

    public func redeemRefreshToken(secretHash: [UInt8], clientAddress: String?, slidingExpiry: Date, absoluteLifetime: TimeInterval, now: Date) async throws -> (RefreshToken, User)? {
        try await run { client in
            let rows = try await client.query(
                """
                UPDATE refresh_tokens t SET last_used_at = \(now), last_used_address = \(clientAddress), use_count = t.use_count + 1,
                       expires_at = LEAST(\(slidingExpiry), t.created_at + make_interval(secs => \(absoluteLifetime)))
                FROM users u
                WHERE t.secret_hash = \(hex(secretHash)) AND u.id = t.user_id AND t.revoked_at IS NULL
                  AND t.expires_at > \(now) AND t.password_epoch = u.password_epoch
                  AND (t.access_token_id IS NULL OR EXISTS (
                      SELECT 1 FROM access_tokens a WHERE a.id = t.access_token_id AND a.revoked_at IS NULL AND (a.expires_at IS NULL OR a.expires_at > \(now))))
                RETURNING t.id, t.user_id, t.client_id, t.created_at, t.expires_at, t.revoked_at, t.last_used_at, t.last_used_address, t.use_count,
                          t.password_epoch, t.access_token_id
                """,
                logger: logger
            )
            var found: RefreshToken?
            for try await row in rows.decode(RefreshRow.self) { found = Self.refreshToken(row) }
            guard let token = found, let user = try await user(id: token.userID) else { return nil }
            return (token, user)
        }
    }

    public func refreshToken(id: Int64) async throws -> RefreshToken? {
        try await run { client in
            let rows = try await client.query("SELECT \(unescaped: Self.refreshColumns) FROM refresh_tokens WHERE id = \(id)", logger: logger)
            for try await row in rows.decode(RefreshRow.self) { return Self.refreshToken(row) }
            return nil
        }
    }

    public func refreshTokens(userID: Int64) async throws -> [RefreshToken] {
        try await run { client in
            var tokens: [RefreshToken] = []
            let rows = try await client.query("SELECT \(unescaped: Self.refreshColumns) FROM refresh_tokens WHERE user_id = \(userID) ORDER BY id DESC", logger: logger)
            for try await row in rows.decode(RefreshRow.self) { tokens.append(Self.refreshToken(row)) }
            return tokens
        }
    }

    public func revokeRefreshToken(id: Int64, now: Date) async throws -> Bool {
        try await run { client in
            let rows = try await client.query("UPDATE refresh_tokens SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    public func revokeRefreshTokens(userID: Int64, now: Date) async throws {
        try await run { client in
            try await client.query("UPDATE refresh_tokens SET revoked_at = \(now) WHERE user_id = \(userID) AND revoked_at IS NULL", logger: logger)
        }
    }

    public func pruneRefreshTokens(userID: Int64, keepingLive: Int, deletingBefore: Date, now: Date) async throws {
        try await run { client in
            try await client.query(
                """
                UPDATE refresh_tokens SET revoked_at = \(now) WHERE id IN (
                    SELECT id FROM refresh_tokens WHERE user_id = \(userID) AND revoked_at IS NULL AND expires_at > \(now)
                    ORDER BY id DESC OFFSET \(max(0, keepingLive)))
                """,
                logger: logger
            )
            try await client.query(
                "DELETE FROM refresh_tokens WHERE user_id = \(userID) AND (revoked_at < \(deletingBefore) OR expires_at < \(deletingBefore))",
                logger: logger
            )
        }
    }
}
