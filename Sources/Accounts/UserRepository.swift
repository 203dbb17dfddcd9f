import Foundation

/// Where subscriber accounts and their credentials live. `PostgresUserRepository` is
/// the real one; `InMemoryUserRepository` backs tests. Both pass the same conformance
/// suite.
///
/// Secrets are never stored: access tokens, mirror keys and refresh tokens are looked
/// up by the SHA-256 of the secret (they are random and long, so a fast hash is safe).
public protocol UserRepository: Sendable {
    /// Creates a user; throws `userExists` for a taken name.
    func createUser(username: String, email: String?, passwordHash: String, now: Date) async throws -> User
    func user(named username: String) async throws -> User?
    func user(id: Int64) async throws -> User?
    /// Every user, ordered by name.
    func allUsers() async throws -> [User]
    func updatePasswordHash(userID: Int64, passwordHash: String, now: Date) async throws
    func updateStatus(userID: Int64, status: UserStatus, now: Date) async throws
    /// Deletes a user and every credential of theirs.
    func deleteUser(id: Int64) async throws

    func createAccessToken(userID: Int64, name: String, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> AccessToken
    /// The token with this secret hash and its owner, whatever their state.
    func accessToken(secretHash: [UInt8]) async throws -> (AccessToken, User)?
    func accessToken(id: Int64) async throws -> AccessToken?
    func accessTokens(userID: Int64) async throws -> [AccessToken]
    /// Returns false when no unrevoked token has this id.
    func revokeAccessToken(id: Int64, now: Date) async throws -> Bool
    func recordAccessTokenUse(id: Int64, now: Date) async throws

    func createMirrorKey(userID: Int64, secretHash: [UInt8], now: Date) async throws -> MirrorKey
    func mirrorKey(secretHash: [UInt8]) async throws -> (MirrorKey, User)?
    func mirrorKeys(userID: Int64) async throws -> [MirrorKey]
    func revokeMirrorKey(id: Int64, now: Date) async throws -> Bool

    func createRefreshToken(userID: Int64, secretHash: [UInt8], clientID: String, expiresAt: Date, now: Date) async throws -> RefreshToken
    /// Redeems the unrevoked, unexpired refresh token with `secretHash`: atomically
    /// issues a replacement (child) and revokes the redeemed token's parent, so the
    /// generation before it dies once its successor is used. Nil when there is no such
    /// token (revoked, expired or unknown).
    func rotateRefreshToken(secretHash: [UInt8], replacementHash: [UInt8], expiresAt: Date, now: Date) async throws -> (RefreshToken, User)?
    /// Revokes every refresh token of a user (password change, suspension).
    func revokeRefreshTokens(userID: Int64, now: Date) async throws

    // MARK: Roles and portal sessions

    /// Makes a user an admin or a plain subscriber.
    func updateRole(userID: Int64, role: UserRole, now: Date) async throws
    /// Stores a new portal session under the hash of its secret id.
    func createSession(userID: Int64, secretHash: [UInt8], csrfToken: String, expiresAt: Date, userAgent: String?, clientAddress: String?, now: Date) async throws -> PortalSession
    /// The session with this secret hash and its user, whatever their state.
    func session(secretHash: [UInt8]) async throws -> (PortalSession, User)?
    /// Notes that a session was used (for its idle timeout).
    func touchSession(id: Int64, now: Date) async throws
    /// Ends one portal session (sign-out, or found stale).
    func deleteSession(id: Int64) async throws
    /// Ends every portal session of a user (password change, suspension, sign-out everywhere).
    func deleteSessions(userID: Int64) async throws
    /// Removes sessions that expired before `now` or were idle for `idleTimeout`; returns how many.
    func deleteStaleSessions(idleTimeout: TimeInterval, now: Date) async throws -> Int
}
