import Foundation
import Synchronization

/// Accounts held in memory: for tests and for HTTP tests of the gateway. Behaves like
/// `PostgresUserRepository` (the same conformance suite runs against both).
public final class InMemoryUserRepository: UserRepository {
    struct State {
        var users: [Int64: User] = [:]
        var accessTokens: [Int64: (token: AccessToken, hash: [UInt8])] = [:]
        var mirrorKeys: [Int64: (key: MirrorKey, hash: [UInt8])] = [:]
        var refreshTokens: [Int64: (token: RefreshToken, hash: [UInt8])] = [:]
        var sessions: [Int64: (session: PortalSession, hash: [UInt8])] = [:]
        /// User id → place → last successful password login there.
        var loginPlaces: [Int64: [String: Date]] = [:]
        var nextID: Int64 = 1

        mutating func makeID() -> Int64 {
            defer { nextID += 1 }
            return nextID
        }
    }

    let state = Mutex(State())
    private let lookups = Atomic<Int>(0)

    /// Creates an empty repository.
    public init() {}

    /// How many times a user was looked up by name or an access token by secret (tests
    /// check that malformed logins are refused before any lookup).
    public var credentialLookups: Int { lookups.load(ordering: .relaxed) }

    public func createUser(username: String, email: String?, passwordHash: String, now: Date) async throws -> User {
        try state.withLock { state in
            if state.users.values.contains(where: { $0.username == username }) { throw AccountsError.userExists(username) }
            let user = User(id: state.makeID(), username: username, email: email, passwordHash: passwordHash, status: .active, createdAt: now, updatedAt: now)
            state.users[user.id] = user
            return user
        }
    }

    public func user(named username: String) async throws -> User? {
        lookups.add(1, ordering: .relaxed)
        return state.withLock { $0.users.values.first { $0.username == username } }
    }

    public func user(id: Int64) async throws -> User? {
        state.withLock { $0.users[id] }
    }

    public func allUsers() async throws -> [User] {
        state.withLock { $0.users.values.sorted { $0.username < $1.username } }
    }

    public func users(offset: Int, limit: Int) async throws -> (users: [User], total: Int) {
        let all = try await allUsers()
        return (Array(all.dropFirst(offset).prefix(limit)), all.count)
    }

    public func updatePasswordHash(userID: Int64, passwordHash: String, now: Date) async throws {
        state.withLock { state in
            state.users[userID]?.passwordHash = passwordHash
            state.users[userID]?.updatedAt = now
        }
    }

    public func changePassword(userID: Int64, passwordHash: String, now: Date) async throws {
        state.withLock { state in
            guard state.users[userID] != nil else { return }
            state.users[userID]!.passwordHash = passwordHash
            state.users[userID]!.passwordEpoch += 1
            state.users[userID]!.updatedAt = now
            for (id, entry) in state.refreshTokens where entry.token.userID == userID && entry.token.revokedAt == nil {
                state.refreshTokens[id]?.token.revokedAt = now
            }
            state.sessions = state.sessions.filter { $0.value.session.userID != userID }
        }
    }

    public func updateStatus(userID: Int64, status: UserStatus, now: Date) async throws {
        state.withLock { state in
            state.users[userID]?.status = status
            state.users[userID]?.updatedAt = now
        }
    }

    public func deleteUser(id: Int64) async throws {
        state.withLock { state in
            state.users[id] = nil
            state.accessTokens = state.accessTokens.filter { $0.value.token.userID != id }
            state.mirrorKeys = state.mirrorKeys.filter { $0.value.key.userID != id }
            state.refreshTokens = state.refreshTokens.filter { $0.value.token.userID != id }
            state.sessions = state.sessions.filter { $0.value.session.userID != id }
            state.loginPlaces[id] = nil
        }
    }

    public func createAccessToken(userID: Int64, name: String, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> AccessToken {
        state.withLock { state in
            let token = AccessToken(id: state.makeID(), userID: userID, name: name, createdAt: now, expiresAt: expiresAt, lastUsedAt: nil, revokedAt: nil)
            state.accessTokens[token.id] = (token, secretHash)
            return token
        }
    }

    public func accessToken(secretHash: [UInt8]) async throws -> (AccessToken, User)? {
        lookups.add(1, ordering: .relaxed)
        return state.withLock { state in
            guard let entry = state.accessTokens.values.first(where: { $0.hash == secretHash }), let user = state.users[entry.token.userID] else { return nil }
            return (entry.token, user)
        }
    }

    public func accessToken(id: Int64) async throws -> AccessToken? {
        state.withLock { $0.accessTokens[id]?.token }
    }

    public func accessTokens(userID: Int64) async throws -> [AccessToken] {
        state.withLock { $0.accessTokens.values.map(\.token).filter { $0.userID == userID }.sorted { $0.id < $1.id } }
    }

    public func revokeAccessToken(id: Int64, now: Date) async throws -> Bool {
        state.withLock { state in
            guard let entry = state.accessTokens[id], entry.token.revokedAt == nil else { return false }
            state.accessTokens[id]?.token.revokedAt = now
            for (refreshID, refresh) in state.refreshTokens where refresh.token.accessTokenID == id && refresh.token.revokedAt == nil {
                state.refreshTokens[refreshID]?.token.revokedAt = now
            }
            return true
        }
    }

    public func recordAccessTokenUse(id: Int64, now: Date) async throws {
        state.withLock { $0.accessTokens[id]?.token.lastUsedAt = now }
    }

    public func createMirrorKey(userID: Int64, secretHash: [UInt8], expiresAt: Date?, now: Date) async throws -> MirrorKey {
        state.withLock { state in
            let key = MirrorKey(id: state.makeID(), userID: userID, createdAt: now, expiresAt: expiresAt)
            state.mirrorKeys[key.id] = (key, secretHash)
            return key
        }
    }

    public func mirrorKey(secretHash: [UInt8]) async throws -> (MirrorKey, User)? {
        state.withLock { state in
            guard let entry = state.mirrorKeys.values.first(where: { $0.hash == secretHash }), let user = state.users[entry.key.userID] else { return nil }
            return (entry.key, user)
        }
    }

    public func mirrorKeys(userID: Int64) async throws -> [MirrorKey] {
        state.withLock { $0.mirrorKeys.values.map(\.key).filter { $0.userID == userID }.sorted { $0.id < $1.id } }
    }

    public func revokeMirrorKey(id: Int64, now: Date) async throws -> Bool {
        state.withLock { state in
            guard let entry = state.mirrorKeys[id], entry.key.revokedAt == nil else { return false }
            state.mirrorKeys[id]?.key.revokedAt = now
            return true
        }
    }

    public func createRefreshToken(userID: Int64, secretHash: [UInt8], clientID: String, accessTokenID: Int64?, expiresAt: Date, now: Date) async throws -> RefreshToken {
        state.withLock { state in
            let epoch = state.users[userID]?.passwordEpoch ?? 0
            let token = RefreshToken(
                id: state.makeID(), userID: userID, clientID: clientID, createdAt: now, expiresAt: expiresAt, passwordEpoch: epoch, accessTokenID: accessTokenID
            )
            state.refreshTokens[token.id] = (token, secretHash)
            return token
        }
    }

    public func redeemRefreshToken(secretHash: [UInt8], clientAddress: String?, slidingExpiry: Date, absoluteLifetime: TimeInterval, now: Date) async throws -> (RefreshToken, User)? {
        state.withLock { state in
            guard let entry = state.refreshTokens.values.first(where: { $0.hash == secretHash }),
                  let user = state.users[entry.token.userID],
                  entry.token.isUsable(at: now, passwordEpoch: user.passwordEpoch),
                  entry.token.accessTokenID.map({ state.accessTokens[$0]?.token.isUsable(at: now) ?? false }) ?? true
            else { return nil }
            var token = entry.token
            token.lastUsedAt = now
            token.lastUsedAddress = clientAddress
            token.useCount += 1
            token.expiresAt = min(slidingExpiry, token.createdAt.addingTimeInterval(absoluteLifetime))
            state.refreshTokens[token.id]?.token = token
            return (token, user)
        }
    }

    public func refreshToken(id: Int64) async throws -> RefreshToken? {
        state.withLock { $0.refreshTokens[id]?.token }
    }

    public func refreshTokens(userID: Int64) async throws -> [RefreshToken] {
        state.withLock { $0.refreshTokens.values.map(\.token).filter { $0.userID == userID }.sorted { $0.id > $1.id } }
    }

    public func revokeRefreshToken(id: Int64, now: Date) async throws -> Bool {
        state.withLock { state in
            guard let entry = state.refreshTokens[id], entry.token.revokedAt == nil else { return false }
            state.refreshTokens[id]?.token.revokedAt = now
            return true
        }
    }

    public func revokeRefreshTokens(userID: Int64, now: Date) async throws {
        state.withLock { state in
            for (id, entry) in state.refreshTokens where entry.token.userID == userID && entry.token.revokedAt == nil {
                state.refreshTokens[id]?.token.revokedAt = now
            }
        }
    }

    public func pruneRefreshTokens(userID: Int64, keepingLive: Int, deletingBefore: Date, now: Date) async throws {
        state.withLock { state in
            let live = state.refreshTokens.values.map(\.token)
                .filter { $0.userID == userID && $0.revokedAt == nil && $0.expiresAt > now }
                .sorted { $0.id > $1.id }
            for token in live.dropFirst(max(0, keepingLive)) { state.refreshTokens[token.id]?.token.revokedAt = now }
            state.refreshTokens = state.refreshTokens.filter { _, entry in
                let token = entry.token
                guard token.userID == userID else { return true }
                return !((token.revokedAt.map { $0 < deletingBefore } ?? false) || token.expiresAt < deletingBefore)
            }
        }
    }

    public func updateRole(userID: Int64, role: UserRole, now: Date) async throws {
        state.withLock { state in
            state.users[userID]?.role = role
            state.users[userID]?.updatedAt = now
        }
    }

    public func createSession(
        userID: Int64, passwordEpoch: Int, secretHash: [UInt8], csrfToken: String, expiresAt: Date, userAgent: String?, clientAddress: String?, now: Date
    ) async throws -> PortalSession {
        try state.withLock { state in
            guard state.users[userID]?.passwordEpoch == passwordEpoch else {
                throw AccountsError.refused("the password changed while signing in: sign in again")
            }
            let session = PortalSession(
                id: state.makeID(), userID: userID, csrfToken: csrfToken, createdAt: now, lastSeenAt: now, expiresAt: expiresAt,
                userAgent: userAgent, clientAddress: clientAddress, passwordEpoch: passwordEpoch
            )
            state.sessions[session.id] = (session, secretHash)
            return session
        }
    }

    public func session(secretHash: [UInt8]) async throws -> (PortalSession, User)? {
        state.withLock { state in
            guard let entry = state.sessions.values.first(where: { $0.hash == secretHash }), let user = state.users[entry.session.userID] else { return nil }
            return (entry.session, user)
        }
    }

    public func touchSession(id: Int64, now: Date) async throws {
        state.withLock { $0.sessions[id]?.session.lastSeenAt = now }
    }

    public func deleteSession(id: Int64) async throws {
        _ = state.withLock { $0.sessions.removeValue(forKey: id) }
    }

    public func deleteSessions(userID: Int64) async throws {
        state.withLock { state in state.sessions = state.sessions.filter { $0.value.session.userID != userID } }
    }

    public func deleteStaleSessions(idleTimeout: TimeInterval, now: Date) async throws -> Int {
        state.withLock { state in
            let before = state.sessions.count
            state.sessions = state.sessions.filter { $0.value.session.isValid(at: now, idleTimeout: idleTimeout) }
            return before - state.sessions.count
        }
    }
}
