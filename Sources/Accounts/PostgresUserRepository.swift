import Foundation
import Logging
import PostgresNIO

/// Subscriber accounts in PostgreSQL (tables from `migrations/0001_accounts.sql`).
/// Secret hashes are stored as lowercase hex.
public struct PostgresUserRepository: UserRepository {
    let client: PostgresClient
    let logger: Logger

    /// Uses a running `PostgresClient` (the caller runs and shuts it down).
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    typealias UserRow = (Int64, String, String?, String, String, Date, Date, Int, String)
    static let userColumns = "id, username, email, password_hash, status, created_at, updated_at, password_epoch, role"

    static func user(_ row: UserRow) -> User {
        User(
            id: row.0, username: row.1, email: row.2, passwordHash: row.3, status: UserStatus(rawValue: row.4) ?? .suspended,
            role: UserRole(rawValue: row.8) ?? .subscriber, createdAt: row.5, updatedAt: row.6, passwordEpoch: row.7
        )
    }

    public func createUser(username: String, email: String?, passwordHash: String, now: Date) async throws -> User {
        do {
            let rows = try await client.query(
                """
                INSERT INTO users (username, email, password_hash, status, created_at, updated_at)
                VALUES (\(username), \(email), \(passwordHash), 'active', \(now), \(now))
                RETURNING \(unescaped: Self.userColumns)
                """,
                logger: logger
            )
            for try await row in rows.decode(UserRow.self) { return Self.user(row) }
            throw AccountsError.internalFailure("insert returned no row")
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == "23505" {
            throw AccountsError.userExists(username)
        } catch {
            throw Self.mapped(error)
        }
    }

    public func user(named username: String) async throws -> User? {
        try await firstUser("SELECT \(unescaped: Self.userColumns) FROM users WHERE username = \(username)")
    }

    public func user(id: Int64) async throws -> User? {
        try await firstUser("SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(id)")
    }

    public func allUsers() async throws -> [User] {
        try await run { client in
            var users: [User] = []
            let rows = try await client.query("SELECT \(unescaped: Self.userColumns) FROM users ORDER BY username", logger: logger)
            for try await row in rows.decode(UserRow.self) { users.append(Self.user(row)) }
            return users
        }
    }

    public func users(offset: Int, limit: Int) async throws -> (users: [User], total: Int) {
        try await run { client in
            var users: [User] = []
            let rows = try await client.query(
                "SELECT \(unescaped: Self.userColumns) FROM users ORDER BY username OFFSET \(offset) LIMIT \(limit)", logger: logger
            )
            for try await row in rows.decode(UserRow.self) { users.append(Self.user(row)) }
            var total = 0
            for try await count in try await client.query("SELECT count(*)::BIGINT FROM users", logger: logger).decode(Int64.self) { total = Int(count) }
            return (users, total)
        }
    }

    public func updatePasswordHash(userID: Int64, passwordHash: String, now: Date) async throws {
        try await run { client in
            try await client.query("UPDATE users SET password_hash = \(passwordHash), updated_at = \(now) WHERE id = \(userID)", logger: logger)
        }
    }

    public func changePassword(userID: Int64, passwordHash: String, now: Date) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "UPDATE users SET password_hash = \(passwordHash), password_epoch = password_epoch + 1, updated_at = \(now) WHERE id = \(userID)",
                    logger: logger
                )
                try await connection.query("UPDATE refresh_tokens SET revoked_at = \(now) WHERE user_id = \(userID) AND revoked_at IS NULL", logger: logger)
                try await connection.query("DELETE FROM portal_sessions WHERE user_id = \(userID)", logger: logger)
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    public func updateStatus(userID: Int64, status: UserStatus, now: Date) async throws {
        try await run { client in
            try await client.query("UPDATE users SET status = \(status.rawValue), updated_at = \(now) WHERE id = \(userID)", logger: logger)
        }
    }

    /// Deletes the account and its credentials; its name is kept in `deleted_users`, so
    /// the books (usage, charges, payments, which keep the user id) still name it.
    public func deleteUser(id: Int64) async throws {
        do {
            try await client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "INSERT INTO deleted_users (id, username) SELECT id, username FROM users WHERE id = \(id) ON CONFLICT (id) DO NOTHING",
                    logger: logger
                )
                try await connection.query("DELETE FROM users WHERE id = \(id)", logger: logger)
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    // MARK: - Access tokens

    private typealias TokenRow = (Int64, Int64, String, Date, Date?, Date?, Date?)
    private static let tokenColumns = "t.id, t.user_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at"

    private static func token(_ row: TokenRow) -> AccessToken {
        AccessToken(id: row.0, userID: row.1, name: row.2, createdAt: row.3, expiresAt: row.4, lastUsedAt: row.5, revokedAt: row.6)
    }

    public func createAccessToken(userID: Int64, name: String, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> AccessToken {
        try await run { client in
            let rows = try await client.query(
                """
                INSERT INTO access_tokens AS t (user_id, name, secret_hash, created_at, expires_at)
                VALUES (\(userID), \(name), \(hex(secretHash)), \(now), \(expiresAt))
                RETURNING t.id, t.user_id, t.name, t.created_at, t.expires_at, t.last_used_at, t.revoked_at
                """,
                logger: logger
            )
            for try await row in rows.decode(TokenRow.self) { return Self.token(row) }
            throw AccountsError.internalFailure("insert returned no row")
        }
    }

    public func accessToken(secretHash: [UInt8]) async throws -> (AccessToken, User)? {
        try await run { client in
            let rows = try await client.query(
                """
                    SELECT \(unescaped: Self.tokenColumns) FROM access_tokens t WHERE t.secret_hash = \(hex(secretHash))
                    """,
                logger: logger
            )
            var found: AccessToken?
            for try await row in rows.decode(TokenRow.self) { found = Self.token(row) }
            guard let token = found, let user = try await user(id: token.userID) else { return nil }
            return (token, user)
        }
    }

    public func accessToken(id: Int64) async throws -> AccessToken? {
        try await run { client in
            let rows = try await client.query("SELECT \(unescaped: Self.tokenColumns) FROM access_tokens t WHERE t.id = \(id)", logger: logger)
            for try await row in rows.decode(TokenRow.self) { return Self.token(row) }
            return nil
        }
    }

    public func accessTokens(userID: Int64) async throws -> [AccessToken] {
        try await run { client in
            var tokens: [AccessToken] = []
            let rows = try await client.query("SELECT \(unescaped: Self.tokenColumns) FROM access_tokens t WHERE t.user_id = \(userID) ORDER BY t.id", logger: logger)
            for try await row in rows.decode(TokenRow.self) { tokens.append(Self.token(row)) }
            return tokens
        }
    }

    public func revokeAccessToken(id: Int64, now: Date) async throws -> Bool {
        do {
            return try await client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "UPDATE access_tokens SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger
                )
                var revoked = false
                for try await _ in rows.decode(Int64.self) { revoked = true }
                guard revoked else { return false }
                // The docker logins made with it end with it.
                try await connection.query(
                    "UPDATE refresh_tokens SET revoked_at = \(now) WHERE access_token_id = \(id) AND revoked_at IS NULL", logger: logger
                )
                return true
            }
        } catch {
            throw Self.mapped(error)
        }
    }

    public func recordAccessTokenUse(id: Int64, now: Date) async throws {
        try await run { client in
            try await client.query("UPDATE access_tokens SET last_used_at = \(now) WHERE id = \(id)", logger: logger)
        }
    }

    // MARK: - Mirror keys

    private typealias MirrorKeyRow = (Int64, Int64, Date, Date?, Date?, Date?, String?)
    private static let mirrorKeyColumns = "id, user_id, created_at, last_used_at, revoked_at, expires_at, last_used_address"

    private static func mirrorKey(_ row: MirrorKeyRow) -> MirrorKey {
        MirrorKey(id: row.0, userID: row.1, createdAt: row.2, lastUsedAt: row.3, revokedAt: row.4, expiresAt: row.5, lastUsedAddress: row.6)
    }

    public func createMirrorKey(userID: Int64, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> MirrorKey {
        try await run { client in
            let rows = try await client.query(
                """
                INSERT INTO mirror_keys (user_id, secret_hash, created_at, expires_at) VALUES (\(userID), \(hex(secretHash)), \(now), \(expiresAt))
                RETURNING \(unescaped: Self.mirrorKeyColumns)
                """,
                logger: logger
            )
            for try await row in rows.decode(MirrorKeyRow.self) { return Self.mirrorKey(row) }
            throw AccountsError.internalFailure("insert returned no row")
        }
    }

    public func mirrorKey(secretHash: [UInt8]) async throws -> (MirrorKey, User)? {
        try await run { client in
            let rows = try await client.query(
                "SELECT \(unescaped: Self.mirrorKeyColumns) FROM mirror_keys WHERE secret_hash = \(hex(secretHash))", logger: logger
            )
            var found: MirrorKey?
            for try await row in rows.decode(MirrorKeyRow.self) { found = Self.mirrorKey(row) }
            guard let key = found, let user = try await user(id: key.userID) else { return nil }
            return (key, user)
        }
    }

    public func mirrorKeys(userID: Int64) async throws -> [MirrorKey] {
        try await run { client in
            var keys: [MirrorKey] = []
            let rows = try await client.query("SELECT \(unescaped: Self.mirrorKeyColumns) FROM mirror_keys WHERE user_id = \(userID) ORDER BY id", logger: logger)
            for try await row in rows.decode(MirrorKeyRow.self) { keys.append(Self.mirrorKey(row)) }
            return keys
        }
    }

    public func recordMirrorKeyUse(id: Int64, address: String?, now: Date) async throws {
        try await run { client in
            try await client.query("UPDATE mirror_keys SET last_used_at = \(now), last_used_address = \(address) WHERE id = \(id)", logger: logger)
        }
    }

    public func revokeMirrorKey(id: Int64, now: Date) async throws -> Bool {
        try await run { client in
            let rows = try await client.query("UPDATE mirror_keys SET revoked_at = \(now) WHERE id = \(id) AND revoked_at IS NULL RETURNING id", logger: logger)
            for try await _ in rows.decode(Int64.self) { return true }
            return false
        }
    }

    // MARK: - Helpers

    private func firstUser(_ query: PostgresQuery) async throws -> User? {
        try await run { client in
            let rows = try await client.query(query, logger: logger)
            for try await row in rows.decode(UserRow.self) { return Self.user(row) }
            return nil
        }
    }

    @discardableResult
    func run<T>(_ body: (PostgresClient) async throws -> T) async throws -> T {
        do {
            return try await body(client)
        } catch {
            throw Self.mapped(error)
        }
    }

    /// Database failures become `databaseUnavailable` with a one-line reason.
    static func mapped(_ error: any Error) -> any Error {
        if error is AccountsError { return error }
        if let error = error as? PSQLError {
            if error.serverInfo?[.sqlState] == "42P01" {
                return AccountsError.databaseUnavailable("database schema is missing: run ferry migrate")
            }
            let message = error.serverInfo?[.message] ?? "\(error.code)"
            return AccountsError.databaseUnavailable("database error: \(message)")
        }
        return AccountsError.databaseUnavailable("database error: \(error)")
    }
}

/// Lowercase hex of a secret hash, as stored.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}
