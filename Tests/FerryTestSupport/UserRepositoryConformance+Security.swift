import Accounts
import Foundation
import Testing

extension UserRepositoryConformance {
    /// The repository's part in the controls of the 2026-12-04 security review; run
    /// against each implementation after `run`.
    public static func runSecurity(_ repository: any UserRepository) async throws {
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        let day: TimeInterval = 86400
        func hashOf(_ byte: UInt8) -> [UInt8] { Array(repeating: byte, count: 32) }
        let carol = try await repository.createUser(username: "carol", email: nil, passwordHash: "hash-c", now: t0)
        let dave = try await repository.createUser(username: "dave", email: nil, passwordHash: "hash-d", now: t0)

        // S1: a refresh token minted with an access token ends with it, in the same transaction.
        let pat = try await repository.createAccessToken(userID: carol.id, name: "laptop", secretHash: hashOf(40), expiresAt: t0.addingTimeInterval(10 * day), now: t0)
        let child = try await repository.createRefreshToken(userID: carol.id, secretHash: hashOf(41), clientID: "docker", accessTokenID: pat.id, expiresAt: t0.addingTimeInterval(90 * day), now: t0)
        let sibling = try await repository.createRefreshToken(userID: carol.id, secretHash: hashOf(42), clientID: "docker", accessTokenID: nil, expiresAt: t0.addingTimeInterval(90 * day), now: t0)
        #expect(child.accessTokenID == pat.id && sibling.accessTokenID == nil)
        #expect(try await repository.refreshToken(id: child.id)?.accessTokenID == pat.id)
        func redeem(_ byte: UInt8, at time: Date) async throws -> (RefreshToken, User)? {
            try await repository.redeemRefreshToken(secretHash: hashOf(byte), clientAddress: nil, slidingExpiry: time.addingTimeInterval(90 * day), absoluteLifetime: 365 * day, now: time)
        }
        #expect(try await redeem(41, at: t0) != nil)
        #expect(try await redeem(41, at: t0.addingTimeInterval(11 * day)) == nil, "its access token expired")
        #expect(try await repository.revokeAccessToken(id: pat.id, now: t0))
        #expect(try await repository.refreshToken(id: child.id)?.revokedAt != nil)
        #expect(try await repository.refreshToken(id: sibling.id)?.revokedAt == nil)
        #expect(try await redeem(41, at: t0) == nil)
        #expect(try await redeem(42, at: t0) != nil)

        // S5, S11: mirror keys expire and record their last use and address.
        let key = try await repository.createMirrorKey(userID: carol.id, secretHash: hashOf(43), expiresAt: t0.addingTimeInterval(90 * day), now: t0)
        #expect(key.expiresAt.map { abs($0.timeIntervalSince(t0.addingTimeInterval(90 * day))) < 1 } == true)
        #expect(key.isUsable(at: t0) && !key.isUsable(at: t0.addingTimeInterval(91 * day)))
        try await repository.recordMirrorKeyUse(id: key.id, address: "198.51.100.7", now: t0.addingTimeInterval(60))
        let used = try #require(try await repository.mirrorKey(secretHash: hashOf(43))?.0)
        #expect(used.lastUsedAddress == "198.51.100.7" && used.lastUsedAt.map { abs($0.timeIntervalSince(t0.addingTimeInterval(60))) < 1 } == true)

        // S5: every credential of a user at once, no one else's.
        let davesToken = try await repository.createAccessToken(userID: dave.id, name: "ci", secretHash: hashOf(44), expiresAt: nil, now: t0)
        _ = try await repository.createAccessToken(userID: carol.id, name: "ci", secretHash: hashOf(45), expiresAt: nil, now: t0)
        try await repository.revokeCredentials(userID: carol.id, now: t0)
        #expect(try await repository.accessTokens(userID: carol.id).allSatisfy { $0.revokedAt != nil })
        #expect(try await repository.mirrorKeys(userID: carol.id).allSatisfy { $0.revokedAt != nil })
        #expect(try await repository.refreshTokens(userID: carol.id).allSatisfy { $0.revokedAt != nil })
        #expect(try await repository.accessToken(id: davesToken.id)?.revokedAt == nil)

        // S14: dead credentials are deleted after the retention, live ones kept.
        try await repository.deleteDeadCredentials(userID: carol.id, before: t0)
        #expect(try await repository.accessTokens(userID: carol.id).count == 2)
        try await repository.deleteDeadCredentials(userID: carol.id, before: t0.addingTimeInterval(1))
        #expect(try await repository.accessTokens(userID: carol.id).isEmpty)
        #expect(try await repository.mirrorKeys(userID: carol.id).isEmpty)
        #expect(try await repository.accessTokens(userID: dave.id).count == 1)

        // S14: the oldest sessions beyond the cap end.
        var sessions: [PortalSession] = []
        for byte in UInt8(50)..<UInt8(54) {
            sessions.append(try await repository.createSession(
                userID: carol.id, passwordEpoch: carol.passwordEpoch, secretHash: hashOf(byte), csrfToken: "c", expiresAt: t0.addingTimeInterval(day), userAgent: nil,
                clientAddress: nil, now: t0
            ))
        }
        try await repository.pruneSessions(userID: carol.id, keepingNewest: 2)
        for (byte, kept) in [(UInt8(50), false), (51, false), (52, true), (53, true)] {
            #expect((try await repository.session(secretHash: hashOf(byte)) != nil) == kept, "session \(byte)")
        }

        // S6: places where a password login succeeded, by username, within a time.
        try await repository.recordLoginPlace(userID: carol.id, place: "net:203.0.113.50", now: t0)
        try await repository.recordLoginPlace(userID: carol.id, place: "device:abc", now: t0.addingTimeInterval(day))
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: ["net:198.51.100.1", "net:203.0.113.50"], since: t0))
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: ["net:203.0.113.50"], since: t0.addingTimeInterval(1)) == false)
        #expect(try await repository.isKnownLoginPlace(username: "dave", places: ["net:203.0.113.50"], since: t0) == false)
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: [], since: t0) == false)
        try await repository.recordLoginPlace(userID: carol.id, place: "net:203.0.113.50", now: t0.addingTimeInterval(2 * day))
        try await repository.pruneLoginPlaces(userID: carol.id, before: t0.addingTimeInterval(2 * day), keeping: 10)
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: ["device:abc"], since: t0) == false, "older than the cut")
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: ["net:203.0.113.50"], since: t0))
        try await repository.pruneLoginPlaces(userID: carol.id, before: t0, keeping: 0)
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: ["net:203.0.113.50"], since: t0) == false, "at most `keeping`")
        try await repository.recordLoginPlace(userID: carol.id, place: "net:203.0.113.50", now: t0)
        try await repository.deleteUser(id: carol.id)
        #expect(try await repository.isKnownLoginPlace(username: "carol", places: ["net:203.0.113.50"], since: t0) == false)
    }
}
