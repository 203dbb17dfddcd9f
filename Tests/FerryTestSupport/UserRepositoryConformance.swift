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
        let key = try await repository.createMirrorKey(userID: alice.id, secretHash: keyHash, now: t0)
        #expect(try await repository.mirrorKey(secretHash: keyHash)?.1.username == "alice")
        #expect(try await repository.mirrorKeys(userID: alice.id).count == 1)
        #expect(try await repository.revokeMirrorKey(id: key.id, now: later))
        #expect(try await repository.mirrorKey(secretHash: keyHash)?.0.revokedAt != nil)

        // Refresh tokens: using a token's replacement revokes the token.
        func hashOf(_ byte: UInt8) -> [UInt8] { Array(repeating: byte, count: 32) }
        _ = try await repository.createRefreshToken(userID: alice.id, secretHash: hashOf(4), clientID: "docker", expiresAt: later, now: t0)
        let rotated = try #require(try await repository.rotateRefreshToken(secretHash: hashOf(4), replacementHash: hashOf(5), expiresAt: later, now: t0))
        #expect(rotated.1.id == alice.id && rotated.0.clientID == "docker")
        // The replacement was never used, so the original still works (docker's stored identity token).
        #expect(try await repository.rotateRefreshToken(secretHash: hashOf(4), replacementHash: hashOf(6), expiresAt: later, now: t0) != nil)
        // Using a replacement retires the original.
        #expect(try await repository.rotateRefreshToken(secretHash: hashOf(5), replacementHash: hashOf(7), expiresAt: later, now: t0) != nil)
        #expect(try await repository.rotateRefreshToken(secretHash: hashOf(4), replacementHash: hashOf(8), expiresAt: later, now: t0) == nil)
        // Expired and revoked tokens are refused.
        #expect(try await repository.rotateRefreshToken(secretHash: hashOf(7), replacementHash: hashOf(9), expiresAt: later, now: later.addingTimeInterval(1)) == nil)
        try await repository.revokeRefreshTokens(userID: alice.id, now: t0)
        #expect(try await repository.rotateRefreshToken(secretHash: hashOf(7), replacementHash: hashOf(10), expiresAt: later, now: t0) == nil)

        // Deleting a user deletes their credentials.
        try await repository.deleteUser(id: alice.id)
        #expect(try await repository.user(named: "alice") == nil)
        #expect(try await repository.accessToken(secretHash: hash) == nil)
        #expect(try await repository.mirrorKey(secretHash: keyHash) == nil)
    }
}
