import Foundation

/// Where subscriber accounts and their credentials live. `PostgresUserRepository` is
/// the real one; `InMemoryUserRepository` backs tests. Both pass the same conformance
/// suite.
///
/// Secrets are never stored: access tokens, mirror keys and refresh tokens are looked
/// up by the SHA-256 of the secret (they are random and long, so a fast hash is safe).
public protocol UserRepository: CredentialSafetyStore {
    /// Creates a user; throws `userExists` for a taken name.
    func createUser(username: String, email: String?, passwordHash: String, now: Date) async throws -> User
    func user(named username: String) async throws -> User?
    func user(id: Int64) async throws -> User?
    /// Every user, ordered by name.
    func allUsers() async throws -> [User]
    /// `limit` users ordered by name from `offset`, and how many there are in all.
    func users(offset: Int, limit: Int) async throws -> (users: [User], total: Int)
    /// Replaces the hash of the same password (a rehash with stronger parameters).
    func updatePasswordHash(userID: Int64, passwordHash: String, now: Date) async throws
    /// Sets a new password in one transaction: stores the hash, advances the password
    /// epoch (ending bearer tokens minted with the old password), revokes every refresh
    /// token and ends every portal session of the user.
    func changePassword(userID: Int64, passwordHash: String, now: Date) async throws
    func updateStatus(userID: Int64, status: UserStatus, now: Date) async throws
    /// Deletes a user and every credential of theirs (the books keep their name).
    func deleteUser(id: Int64) async throws

    func createAccessToken(userID: Int64, name: String, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> AccessToken
    /// The token with this secret hash and its owner, whatever their state.
    func accessToken(secretHash: [UInt8]) async throws -> (AccessToken, User)?
    func accessToken(id: Int64) async throws -> AccessToken?
    func accessTokens(userID: Int64) async throws -> [AccessToken]
    /// Revokes a token and, in the same transaction, every refresh token (docker login)
    /// minted with it. Returns false when no unrevoked token has this id.
    func revokeAccessToken(id: Int64, now: Date) async throws -> Bool
    func recordAccessTokenUse(id: Int64, now: Date) async throws

    func createMirrorKey(userID: Int64, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> MirrorKey
    func mirrorKey(secretHash: [UInt8]) async throws -> (MirrorKey, User)?
    func mirrorKeys(userID: Int64) async throws -> [MirrorKey]
    func revokeMirrorKey(id: Int64, now: Date) async throws -> Bool
    /// Notes that a mirror key was used, and from which client network.
    func recordMirrorKeyUse(id: Int64, address: String?, now: Date) async throws

    /// Stores a refresh token issued under the user's current password epoch, minted
    /// with the access token `accessTokenID` (nil: with the password).
    func createRefreshToken(userID: Int64, secretHash: [UInt8], clientID: String, accessTokenID: Int64?, expiresAt: Date, now: Date) async throws -> RefreshToken
    /// Redeems the refresh token with `secretHash` if it is unrevoked, unexpired, of the
    /// user's current password epoch and (when minted with an access token) that token is
    /// still usable: records the use (time, client network, count) and moves its expiry
    /// to `min(slidingExpiry, createdAt + absoluteLifetime)`.
    /// Returns it with its user (whatever their status); nil when not usable.
    func redeemRefreshToken(secretHash: [UInt8], clientAddress: String?, slidingExpiry: Date, absoluteLifetime: TimeInterval, now: Date) async throws -> (RefreshToken, User)?
    func refreshToken(id: Int64) async throws -> RefreshToken?
    /// A user's refresh tokens, newest first, including revoked and expired ones not yet pruned.
    func refreshTokens(userID: Int64) async throws -> [RefreshToken]
    /// Returns false when no unrevoked refresh token has this id.
    func revokeRefreshToken(id: Int64, now: Date) async throws -> Bool
    /// Revokes every refresh token of a user (password change, suspension).
    func revokeRefreshTokens(userID: Int64, now: Date) async throws
    /// Keeps a user's refresh tokens bounded: revokes the oldest live ones beyond
    /// `keepingLive` (superseded by newer logins) and deletes tokens that expired or
    /// were revoked before `deletingBefore`.
    func pruneRefreshTokens(userID: Int64, keepingLive: Int, deletingBefore: Date, now: Date) async throws

    // MARK: Roles and portal sessions

    /// Makes a user an admin or a plain subscriber.
    func updateRole(userID: Int64, role: UserRole, now: Date) async throws
    /// Stores a new portal session under the hash of its secret id, for a user whose
    /// password epoch is still `passwordEpoch`; throws `refused` when it changed
    /// meanwhile (the sign-in was checked against a password that is no longer valid).
    func createSession(
        userID: Int64, passwordEpoch: Int, secretHash: [UInt8], csrfToken: String, expiresAt: Date, userAgent: String?, clientAddress: String?, now: Date
    ) async throws -> PortalSession
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
