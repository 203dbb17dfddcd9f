import Foundation
import Synchronization

/// Answers, for every request that carries a bearer token, "does what this token was
/// minted with still stand?": the user (by id, so a deleted and re-created username
/// inherits nothing) exists under the same name and is active, and the credential is
/// alive: the password not changed since (epoch), the access token or refresh token not
/// revoked or expired (and a refresh token minted with an access token, that token too). Answers are re-read from the database at most every `lifetime`
/// seconds per user and credential, so revocations bite within seconds, not at expiry.
public final class CredentialStatusCache: Sendable {
    let users: any UserRepository
    let lifetime: TimeInterval
    let now: @Sendable () -> Date
    private let entries = Mutex<[Key: (valid: Bool, checked: Date)]>([:])

    private struct Key: Hashable {
        let userID: Int64
        let username: String
        let credential: Credential
    }

    /// Creates the cache.
    public init(users: any UserRepository, lifetime: TimeInterval = 5, now: @escaping @Sendable () -> Date = Date.init) {
        self.users = users
        self.lifetime = lifetime
        self.now = now
    }

    /// Whether a token naming `username` (user id `userID`) minted with `credential` may
    /// still be used.
    public func isValid(userID: Int64, username: String, credential: Credential) async throws -> Bool {
        let now = now()
        let key = Key(userID: userID, username: username, credential: credential)
        if let entry = entries.withLock({ $0[key] }), now.timeIntervalSince(entry.checked) < lifetime {
            return entry.valid
        }
        let valid = try await check(key, now: now)
        entries.withLock { entries in
            if entries.count > 100_000 { entries.removeAll() }
            entries[key] = (valid, now)
        }
        return valid
    }

    private func check(_ key: Key, now: Date) async throws -> Bool {
        guard let user = try await users.user(id: key.userID), user.username == key.username, user.status == .active else { return false }
        switch key.credential {
        case .password(let epoch):
            return epoch == user.passwordEpoch
        case .accessToken(let id):
            guard let token = try await users.accessToken(id: id) else { return false }
            return token.userID == user.id && token.isUsable(at: now)
        case .refreshToken(let id):
            guard let token = try await users.refreshToken(id: id), token.userID == user.id,
                  token.isUsable(at: now, passwordEpoch: user.passwordEpoch)
            else { return false }
            // A docker login made with an access token ends with that token.
            guard let parent = token.accessTokenID else { return true }
            guard let accessToken = try await users.accessToken(id: parent) else { return false }
            return accessToken.userID == user.id && accessToken.isUsable(at: now)
        }
    }
}
