import Accounts
import Foundation
import Testing

/// The behaviour every `UserRepository` must have; run against each implementation.
public enum UserRepositoryConformance {
    public static func run(_ repository: any UserRepository) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let later = t0.addingTimeInterval(60)

        // Users
        let alice = try await repository.createUser(username: "alice", email: "alice@example.com", passwordHash: "hash-a", now: t0)
        #expect(alice.username == "alice" && alice.status == .active && alice.email == "alice@example.com")
        await #expect(throws: AccountsError.userExists("alice")) {
            _ = try await repository.createUser(username: "alice", email: nil, passwordHash: "x", now: t0)
        }
        let bob = try await repository.createUser(username: "bob", email: nil, passwordHash: "hash-b", now: t0)
        #expect(try await repository.user(named: "alice")?.id == alice.id)
        #expect(try await repository.user(id: bob.id)?.username == "bob")
        #expect(try await repository.user(named: "carol") == nil)
        #expect(try await repository.allUsers().map(\.username) == ["alice", "bob"])
        let secondPage = try await repository.users(offset: 1, limit: 1)
        #expect(secondPage.users.map(\.username) == ["bob"] && secondPage.total == 2)
        #expect(try await repository.users(offset: 2, limit: 10).users.isEmpty)
        try await repository.updatePasswordHash(userID: alice.id, passwordHash: "hash-a2", now: later)
        try await repository.updateStatus(userID: bob.id, status: .suspended, now: later)
        #expect(try await repository.user(id: alice.id)?.passwordHash == "hash-a2")
        #expect(try await repository.user(id: bob.id)?.status == .suspended)
        #expect(abs(try #require(try await repository.user(id: bob.id)).updatedAt.timeIntervalSince(later)) < 1)

        // Access tokens
        let hash = Array(repeating: UInt8(1), count: 32)
        let token = try await repository.createAccessToken(userID: alice.id, name: "ci", secretHash: hash, expiresAt: later, now: t0)
        #expect(token.name == "ci" && token.revokedAt == nil)
        let found = try #require(try await repository.accessToken(secretHash: hash))
        #expect(found.0.id == token.id && found.1.id == alice.id)
        #expect(try await repository.accessToken(secretHash: Array(repeating: 2, count: 32)) == nil)
        #expect(try await repository.accessTokens(userID: alice.id).map(\.id) == [token.id])
        try await repository.recordAccessTokenUse(id: token.id, now: later)
        #expect(try await repository.accessToken(id: token.id)?.lastUsedAt != nil)
        #expect(try await repository.revokeAccessToken(id: token.id, now: later))
        #expect(try await repository.revokeAccessToken(id: token.id, now: later) == false)
        #expect(try await repository.accessToken(id: token.id)?.revokedAt != nil)
        #expect(try await repository.revokeAccessToken(id: 999_999, now: later) == false)

        // Mirror keys
        let keyHash = Array(repeating: UInt8(3), count: 32)
        let key = try await repository.createMirrorKey(userID: alice.id, secretHash: keyHash, expiresAt: nil, now: t0)
        #expect(try await repository.mirrorKey(secretHash: keyHash)?.1.username == "alice")
        #expect(try await repository.mirrorKeys(userID: alice.id).count == 1)
        #expect(try await repository.revokeMirrorKey(id: key.id, now: later))
        #expect(try await repository.mirrorKey(secretHash: keyHash)?.0.revokedAt != nil)

        // Refresh tokens are kept, not rotated: each use is recorded and slides the expiry.
        func hashOf(_ byte: UInt8) -> [UInt8] { Array(repeating: byte, count: 32) }
        let day: TimeInterval = 86400
        let login = try await repository.createRefreshToken(userID: alice.id, secretHash: hashOf(4), clientID: "docker", accessTokenID: nil, expiresAt: t0.addingTimeInterval(10 * day), now: t0)
        #expect(login.clientID == "docker" && login.useCount == 0 && login.revokedAt == nil)
        let used = try #require(try await repository.redeemRefreshToken(
            secretHash: hashOf(4), clientAddress: "10.0.0.0", slidingExpiry: t0.addingTimeInterval(8 * day + 10 * day), absoluteLifetime: 30 * day, now: t0.addingTimeInterval(8 * day)
        ))
        #expect(used.1.id == alice.id && used.0.id == login.id && used.0.useCount == 1 && used.0.lastUsedAddress == "10.0.0.0")
        #expect(abs(used.0.expiresAt.timeIntervalSince(t0.addingTimeInterval(18 * day))) < 1)
        // Used again on day 17: still valid (day 10 has passed, but every use moved the expiry).
        let again = try #require(try await repository.redeemRefreshToken(
            secretHash: hashOf(4), clientAddress: nil, slidingExpiry: t0.addingTimeInterval(27 * day), absoluteLifetime: 30 * day, now: t0.addingTimeInterval(17 * day)
        ))
        #expect(again.0.useCount == 2)
        // Never past the absolute lifetime.
        let capped = try #require(try await repository.redeemRefreshToken(
            secretHash: hashOf(4), clientAddress: nil, slidingExpiry: t0.addingTimeInterval(36 * day), absoluteLifetime: 30 * day, now: t0.addingTimeInterval(26 * day)
        ))
        #expect(abs(capped.0.expiresAt.timeIntervalSince(t0.addingTimeInterval(30 * day))) < 1)
        #expect(try await repository.redeemRefreshToken(secretHash: hashOf(4), clientAddress: nil, slidingExpiry: t0.addingTimeInterval(99 * day), absoluteLifetime: 30 * day, now: t0.addingTimeInterval(31 * day)) == nil)
        // Revoking one, listing, a password change ending the rest.
        let second = try await repository.createRefreshToken(userID: alice.id, secretHash: hashOf(5), clientID: "docker", accessTokenID: nil, expiresAt: later, now: t0)
        let third = try await repository.createRefreshToken(userID: alice.id, secretHash: hashOf(6), clientID: "docker", accessTokenID: nil, expiresAt: later, now: t0)
        #expect(try await repository.refreshTokens(userID: alice.id).map(\.id) == [third.id, second.id, login.id])
        #expect(try await repository.revokeRefreshToken(id: second.id, now: t0))
        #expect(try await repository.revokeRefreshToken(id: second.id, now: t0) == false)
        #expect(try await repository.redeemRefreshToken(secretHash: hashOf(5), clientAddress: nil, slidingExpiry: later, absoluteLifetime: day, now: t0) == nil)
        #expect(try await repository.refreshToken(id: second.id)?.revokedAt != nil)
        let epoch = try #require(try await repository.user(id: alice.id)).passwordEpoch
        try await repository.changePassword(userID: alice.id, passwordHash: "hash-a3", now: t0)
        let changed = try #require(try await repository.user(id: alice.id))
        #expect(changed.passwordHash == "hash-a3" && changed.passwordEpoch == epoch + 1)
        #expect(try await repository.redeemRefreshToken(secretHash: hashOf(6), clientAddress: nil, slidingExpiry: later, absoluteLifetime: day, now: t0) == nil)
        // A token issued after the change carries the new epoch and works.
        let fresh = try await repository.createRefreshToken(userID: alice.id, secretHash: hashOf(7), clientID: "docker", accessTokenID: nil, expiresAt: later, now: t0)
        #expect(fresh.passwordEpoch == epoch + 1)
        #expect(try await repository.redeemRefreshToken(secretHash: hashOf(7), clientAddress: nil, slidingExpiry: later, absoluteLifetime: day, now: t0) != nil)
        try await repository.revokeRefreshTokens(userID: alice.id, now: t0)
        #expect(try await repository.redeemRefreshToken(secretHash: hashOf(7), clientAddress: nil, slidingExpiry: later, absoluteLifetime: day, now: t0) == nil)
        // Pruning: live tokens beyond the cap are superseded; old dead ones deleted.
        var live: [RefreshToken] = []
        for byte in UInt8(20)..<UInt8(24) {
            live.append(try await repository.createRefreshToken(userID: alice.id, secretHash: hashOf(byte), clientID: "docker", accessTokenID: nil, expiresAt: later, now: t0))
        }
        try await repository.pruneRefreshTokens(userID: alice.id, keepingLive: 2, deletingBefore: t0, now: t0)
        let afterCap = try await repository.refreshTokens(userID: alice.id)
        #expect(afterCap.filter { $0.revokedAt == nil }.map(\.id) == [live[3].id, live[2].id])
        try await repository.pruneRefreshTokens(userID: alice.id, keepingLive: 2, deletingBefore: t0.addingTimeInterval(1), now: t0.addingTimeInterval(1))
        #expect(try await repository.refreshTokens(userID: alice.id).map(\.id) == [live[3].id, live[2].id])

        // Roles: subscriber by default.
        #expect(alice.role == .subscriber)
        try await repository.updateRole(userID: alice.id, role: .admin, now: later)
        #expect(try await repository.user(named: "alice")?.role == .admin)
        #expect(try await repository.accessToken(secretHash: hash)?.1.role == .admin)

        // Portal sessions: found by secret hash with their user, touched, ended one by one or per user.
        let aliceEpoch = try #require(try await repository.user(id: alice.id)).passwordEpoch
        let bobEpoch = try #require(try await repository.user(id: bob.id)).passwordEpoch
        await #expect(throws: AccountsError.self, "a sign-in checked against an older password makes no session") {
            _ = try await repository.createSession(
                userID: alice.id, passwordEpoch: aliceEpoch - 1, secretHash: hashOf(19), csrfToken: "c", expiresAt: later, userAgent: nil, clientAddress: nil, now: t0
            )
        }
        let aliceSession = try await repository.createSession(
            userID: alice.id, passwordEpoch: aliceEpoch, secretHash: hashOf(20), csrfToken: "csrf-a", expiresAt: t0.addingTimeInterval(3600), userAgent: "Firefox",
            clientAddress: "192.0.2.1", now: t0
        )
        #expect(aliceSession.csrfToken == "csrf-a" && aliceSession.userAgent == "Firefox" && aliceSession.clientAddress == "192.0.2.1")
        let resumed = try #require(try await repository.session(secretHash: hashOf(20)))
        #expect(resumed.0.id == aliceSession.id && resumed.1.username == "alice" && resumed.1.role == .admin)
        #expect(try await repository.session(secretHash: hashOf(21)) == nil)
        try await repository.touchSession(id: aliceSession.id, now: later)
        #expect(abs(try #require(try await repository.session(secretHash: hashOf(20))).0.lastSeenAt.timeIntervalSince(later)) < 1)
        _ = try await repository.createSession(userID: alice.id, passwordEpoch: aliceEpoch, secretHash: hashOf(22), csrfToken: "c", expiresAt: later, userAgent: nil, clientAddress: nil, now: t0)
        let bobSession = try await repository.createSession(userID: bob.id, passwordEpoch: bobEpoch, secretHash: hashOf(23), csrfToken: "c", expiresAt: later, userAgent: nil, clientAddress: nil, now: t0)
        try await repository.deleteSessions(userID: alice.id)
        #expect(try await repository.session(secretHash: hashOf(20)) == nil)
        #expect(try await repository.session(secretHash: hashOf(22)) == nil)
        #expect(try await repository.session(secretHash: hashOf(23)) != nil)
        try await repository.deleteSession(id: bobSession.id)
        #expect(try await repository.session(secretHash: hashOf(23)) == nil)
        // Stale sessions: past their expiry, or idle too long.
        _ = try await repository.createSession(userID: bob.id, passwordEpoch: bobEpoch, secretHash: hashOf(24), csrfToken: "c", expiresAt: t0.addingTimeInterval(30), userAgent: nil, clientAddress: nil, now: t0)
        _ = try await repository.createSession(userID: bob.id, passwordEpoch: bobEpoch, secretHash: hashOf(25), csrfToken: "c", expiresAt: t0.addingTimeInterval(9000), userAgent: nil, clientAddress: nil, now: t0)
        _ = try await repository.createSession(userID: bob.id, passwordEpoch: bobEpoch, secretHash: hashOf(26), csrfToken: "c", expiresAt: t0.addingTimeInterval(9000), userAgent: nil, clientAddress: nil, now: t0)
        try await repository.touchSession(id: try #require(try await repository.session(secretHash: hashOf(26))).0.id, now: t0.addingTimeInterval(100))
        #expect(try await repository.deleteStaleSessions(idleTimeout: 120, now: t0.addingTimeInterval(150)) == 2)
        #expect(try await repository.session(secretHash: hashOf(26)) != nil)
        _ = try await repository.createSession(userID: alice.id, passwordEpoch: aliceEpoch, secretHash: hashOf(27), csrfToken: "c", expiresAt: later, userAgent: nil, clientAddress: nil, now: t0)

        // Deleting a user deletes their credentials.
        try await repository.deleteUser(id: alice.id)
        #expect(try await repository.user(named: "alice") == nil)
        #expect(try await repository.accessToken(secretHash: hash) == nil)
        #expect(try await repository.mirrorKey(secretHash: keyHash) == nil)
        #expect(try await repository.session(secretHash: hashOf(27)) == nil)
    }
}
