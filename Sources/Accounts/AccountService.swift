import Foundation

/// Account administration: what the operator CLI does and what the token service
/// needs beyond checking passwords (refresh tokens, mirror keys).
public struct AccountService: Sendable {
    private let users: any UserRepository
    let hasher: Argon2PasswordHasher
    let now: @Sendable () -> Date
    /// How long a refresh token (docker's stored identity token) stays valid unused;
    /// every use moves its expiry this far ahead.
    public let refreshTokenLifetime: TimeInterval
    /// How long a refresh token lives at most, however often it is used (then the
    /// subscriber logs in again).
    public let refreshTokenMaximumLifetime: TimeInterval
    /// Live refresh tokens kept per user; a newer login supersedes the oldest beyond this.
    public static let refreshTokensPerUser = 20
    /// How long revoked or expired refresh tokens stay listed before they are deleted.
    public static let refreshTokenRetention: TimeInterval = 30 * 86400
    /// Live (unrevoked, unexpired) access tokens a user may hold; revoke one to make another.
    public static let accessTokensPerUser = 50
    /// Live mirror keys a user may hold.
    public static let mirrorKeysPerUser = 20
    /// How long revoked or expired access tokens and mirror keys stay listed.
    public static let credentialRetention: TimeInterval = 30 * 86400
    /// A mirror key's use is written at most this often (its last use is shown, not counted).
    static let mirrorKeyUseInterval: TimeInterval = 60

    /// Creates the service.
    public init(
        users: any UserRepository, hasher: Argon2PasswordHasher, refreshTokenLifetime: TimeInterval = 90 * 86400,
        refreshTokenMaximumLifetime: TimeInterval = 365 * 86400, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.users = users
        self.hasher = hasher
        self.refreshTokenLifetime = refreshTokenLifetime
        self.refreshTokenMaximumLifetime = refreshTokenMaximumLifetime
        self.now = now
    }

    /// Creates a user; with no password, generates one and returns it.
    public func createUser(username: String, email: String?, password: String?) async throws -> (User, generatedPassword: String?) {
        try User.validate(username: username)
        if let email { try User.validate(email: email) }
        let generated = password == nil ? SecretToken.makePassword() : nil
        let chosen = password ?? generated!
        try User.validate(password: chosen, username: username)
        let user = try await users.createUser(username: username, email: email, passwordHash: try await hasher.hash(chosen), now: now())
        return (user, generated)
    }

    /// The user with this name, or `userNotFound`.
    public func user(_ username: String) async throws -> User {
        guard let user = try await users.user(named: username) else { throw AccountsError.userNotFound(username) }
        return user
    }

    /// Sets a new password and, at once, ends everything the old one opened: cached
    /// logins (the stored hash changes), refresh tokens, portal sessions, and bearer
    /// tokens minted with the password (the password epoch advances).
    public func setPassword(_ username: String, password: String) async throws {
        let user = try await user(username)
        try User.validate(password: password, username: username)
        try await users.changePassword(userID: user.id, passwordHash: try await hasher.hash(password), now: now())
    }

    /// Suspends or resumes a user; suspension also ends their refresh tokens and web
    /// portal sessions.
    public func setStatus(_ username: String, _ status: UserStatus) async throws -> User {
        var user = try await user(username)
        try await users.updateStatus(userID: user.id, status: status, now: now())
        if status == .suspended {
            try await users.revokeRefreshTokens(userID: user.id, now: now())
            try await users.deleteSessions(userID: user.id)
        }
        user.status = status
        return user
    }

    /// Makes a user an admin (the portal's operator view) or a plain subscriber.
    public func setRole(_ username: String, _ role: UserRole) async throws -> User {
        var user = try await user(username)
        try await users.updateRole(userID: user.id, role: role, now: now())
        user.role = role
        return user
    }

    /// Deletes a user and all their credentials.
    public func deleteUser(_ username: String) async throws {
        let user = try await user(username)
        try await users.deleteUser(id: user.id)
    }

    // MARK: - Personal access tokens

    /// Creates a personal access token; the secret is returned once and never stored.
    /// Refused when the name is empty, longer than 100 characters or holds control
    /// characters, or the user already holds `accessTokensPerUser` live tokens.
    public func createAccessToken(_ username: String, name: String, lifetime: TimeInterval?) async throws -> (AccessToken, secret: String) {
        let user = try await user(username)
        guard !name.isEmpty, name.count <= 100 else { throw AccountsError.invalidUsername("token name must be 1-100 characters") }
        guard !Self.hasControlCharacters(name) else { throw AccountsError.invalidUsername("token name must not contain control characters") }
        let now = now()
        try await users.deleteDeadCredentials(userID: user.id, before: now.addingTimeInterval(-Self.credentialRetention))
        guard try await users.accessTokens(userID: user.id).filter({ $0.isUsable(at: now) }).count < Self.accessTokensPerUser else {
            throw AccountsError.refused("\(username) already has \(Self.accessTokensPerUser) live access tokens: revoke one first")
        }
        let secret = SecretToken.makeAccessToken()
        let token = try await users.createAccessToken(
            userID: user.id, name: name, secretHash: SecretToken.hash(secret),
            expiresAt: lifetime.map { now.addingTimeInterval($0) }, now: now
        )
        return (token, secret)
    }

    /// A user's access tokens, revoked and expired ones included.
    public func accessTokens(_ username: String) async throws -> [AccessToken] {
        try await accessTokens(of: try await user(username))
    }

    /// `user`'s access tokens, revoked and expired ones included.
    public func accessTokens(of user: User) async throws -> [AccessToken] {
        try await users.accessTokens(userID: user.id)
    }

    /// Every user, by name.
    public func allUsers() async throws -> [User] {
        try await users.allUsers()
    }

    /// Page `page` (from 1) of the users ordered by name, `perPage` a page, and how many
    /// there are in all.
    public func users(page: Int, perPage: Int) async throws -> (users: [User], total: Int) {
        try await users.users(offset: max(0, page - 1) * perPage, limit: perPage)
    }

    /// Revokes a token by id, and every docker login (refresh token) made with it;
    /// `tokenNotFound` when there is no such unrevoked token.
    public func revokeAccessToken(id: Int64) async throws {
        guard try await users.revokeAccessToken(id: id, now: now()) else { throw AccountsError.tokenNotFound(String(id)) }
    }

    /// Revokes one of `owner`'s own tokens; another user's token id is `tokenNotFound`,
    /// exactly like an unknown one.
    public func revokeAccessToken(id: Int64, ownedBy owner: User) async throws {
        guard try await users.accessToken(id: id)?.userID == owner.id else { throw AccountsError.tokenNotFound(String(id)) }
        try await revokeAccessToken(id: id)
    }

    // MARK: - Mirror keys

    /// Creates a mirror key (the secret host label) for a user, valid for `lifetime`
    /// (nil: until revoked); returned once. Refused when the user already holds
    /// `mirrorKeysPerUser` live keys.
    public func createMirrorKey(_ username: String, lifetime: TimeInterval? = nil) async throws -> (MirrorKey, secret: String) {
        let user = try await user(username)
        let now = now()
        try await users.deleteDeadCredentials(userID: user.id, before: now.addingTimeInterval(-Self.credentialRetention))
        guard try await users.mirrorKeys(userID: user.id).filter({ $0.isUsable(at: now) }).count < Self.mirrorKeysPerUser else {
            throw AccountsError.refused("\(username) already has \(Self.mirrorKeysPerUser) live mirror keys: revoke one first")
        }
        let secret = SecretToken.makeMirrorKey()
        let key = try await users.createMirrorKey(userID: user.id, secretHash: SecretToken.hash(secret), expiresAt: lifetime.map { now.addingTimeInterval($0) }, now: now)
        return (key, secret)
    }

    /// A user's mirror keys, revoked ones included.
    public func mirrorKeys(_ username: String) async throws -> [MirrorKey] {
        try await mirrorKeys(of: try await user(username))
    }

    /// `user`'s mirror keys, revoked ones included.
    public func mirrorKeys(of user: User) async throws -> [MirrorKey] {
        try await users.mirrorKeys(userID: user.id)
    }

    public func revokeMirrorKey(id: Int64) async throws {
        guard try await users.revokeMirrorKey(id: id, now: now()) else { throw AccountsError.mirrorKeyNotFound(String(id)) }
    }

    /// Revokes one of `owner`'s own mirror keys; another user's key id is
    /// `mirrorKeyNotFound`, exactly like an unknown one.
    public func revokeMirrorKey(id: Int64, ownedBy owner: User) async throws {
        guard try await users.mirrorKeys(userID: owner.id).contains(where: { $0.id == id }) else { throw AccountsError.mirrorKeyNotFound(String(id)) }
        try await revokeMirrorKey(id: id)
    }

    /// The active user a mirror key belongs to, or nil (unknown, revoked, expired,
    /// suspended). Its use, and the client network it came from, is recorded at most
    /// once a minute.
    public func userForMirrorKey(_ secret: String, clientAddress: String? = nil) async throws -> User? {
        let now = now()
        guard secret.count == 52, let (key, user) = try await users.mirrorKey(secretHash: SecretToken.hash(secret)),
              key.isUsable(at: now), user.status == .active
        else { return nil }
        if key.lastUsedAt.map({ now.timeIntervalSince($0) >= Self.mirrorKeyUseInterval }) ?? true
            || (clientAddress != nil && key.lastUsedAddress != clientAddress) {
            try await users.recordMirrorKeyUse(id: key.id, address: clientAddress.map { String($0.prefix(64)) }, now: now)
        }
        return user
    }

    // MARK: - Every credential at once

    /// Revokes every access token, mirror key and docker login of `user` in one
    /// transaction (sign-out everywhere and a password change, when asked to).
    public func revokeCredentials(of user: User) async throws {
        try await users.revokeCredentials(userID: user.id, now: now())
    }

    // MARK: - Refresh tokens

    /// Issues a refresh token (docker stores it as its identity token) and prunes the
    /// user's old ones. A login made with an access token (`credential`) is tied to it:
    /// revoking or expiring that token ends the login. The client id is stored without
    /// control characters (it is shown to the operator and the subscriber).
    public func issueRefreshToken(for user: User, clientID: String, credential: Credential = .password(epoch: 0)) async throws -> String {
        let now = now()
        let secret = SecretToken.makeRefreshToken()
        var accessTokenID: Int64?
        if case .accessToken(let id) = credential { accessTokenID = id }
        _ = try await users.createRefreshToken(
            userID: user.id, secretHash: SecretToken.hash(secret), clientID: Self.printable(clientID, limit: 100), accessTokenID: accessTokenID,
            expiresAt: now.addingTimeInterval(min(refreshTokenLifetime, refreshTokenMaximumLifetime)), now: now
        )
        try await users.pruneRefreshTokens(
            userID: user.id, keepingLive: Self.refreshTokensPerUser, deletingBefore: now.addingTimeInterval(-Self.refreshTokenRetention), now: now
        )
        return secret
    }

    /// Redeems a refresh token: it stays valid (docker keeps using the one it stored at
    /// login), its use is recorded and its idle expiry moves ahead. Nil when the token is
    /// unknown, revoked, expired or from before a password change, or its user is suspended.
    public func redeemRefreshToken(_ secret: String, clientAddress: String?) async throws -> (User, RefreshToken)? {
        guard secret.hasPrefix("ferry_rt_"), secret.utf8.count <= 100 else { return nil }
        let now = now()
        guard let (token, user) = try await users.redeemRefreshToken(
            secretHash: SecretToken.hash(secret), clientAddress: clientAddress.map { String($0.prefix(64)) },
            slidingExpiry: now.addingTimeInterval(refreshTokenLifetime), absoluteLifetime: refreshTokenMaximumLifetime, now: now
        ), user.status == .active
        else { return nil }
        return (user, token)
    }

    /// A user's refresh tokens (logins), newest first.
    public func refreshTokens(_ username: String) async throws -> [RefreshToken] {
        try await refreshTokens(of: try await user(username))
    }

    /// `user`'s refresh tokens (docker logins), newest first.
    public func refreshTokens(of user: User) async throws -> [RefreshToken] {
        try await users.refreshTokens(userID: user.id)
    }

    /// Revokes one of `owner`'s own docker logins; another user's id is
    /// `refreshTokenNotFound`, exactly like an unknown one.
    public func revokeRefreshToken(id: Int64, ownedBy owner: User) async throws {
        guard try await users.refreshToken(id: id)?.userID == owner.id else { throw AccountsError.refreshTokenNotFound(id) }
        try await revokeRefreshToken(id: id)
    }

    /// Revokes one refresh token by id; `tokenNotFound` when there is no such unrevoked token.
    public func revokeRefreshToken(id: Int64) async throws {
        guard try await users.revokeRefreshToken(id: id, now: now()) else { throw AccountsError.refreshTokenNotFound(id) }
    }

    /// Revokes every refresh token of a user.
    public func revokeRefreshTokens(_ username: String) async throws {
        try await users.revokeRefreshTokens(userID: try await user(username).id, now: now())
    }

    // MARK: - Helpers

    /// Whether `text` holds a control character (an escape sequence would reach the
    /// operator's terminal).
    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// `text` without control characters, at most `limit` characters.
    static func printable(_ text: String, limit: Int) -> String {
        String(String(String.UnicodeScalarView(text.unicodeScalars.filter { $0.properties.generalCategory != .control })).prefix(limit))
    }
}
