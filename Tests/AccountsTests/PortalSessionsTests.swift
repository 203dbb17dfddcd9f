import Accounts
import FerryTestSupport
import Foundation
import Testing

/// Portal sessions with a test clock: lifetimes, touches, and the account changes that
/// end them.
@Suite struct PortalSessionsTests {
    let clock = TestClock()
    let repository = InMemoryUserRepository()
    let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))

    var accounts: AccountService { AccountService(users: repository, hasher: hasher, now: { [clock] in clock.now }) }
    var sessions: PortalSessions {
        PortalSessions(users: repository, idleTimeout: 3600, lifetime: 4 * 3600, touchInterval: 60, now: { [clock] in clock.now })
    }

    @Test func sessionsEndWhenIdleOrOldAndStoreOnlyAHash() async throws {
        let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let (session, secret) = try await sessions.start(for: alice, userAgent: String(repeating: "x", count: 500), clientAddress: "192.0.2.7")
        #expect(secret.count == 43 && session.csrfToken.count == 43 && session.csrfToken != secret)
        #expect(session.userAgent?.count == 200)
        #expect(try await repository.session(secretHash: SecretToken.hash(secret))?.0.id == session.id)
        #expect(try await sessions.resume(secret: secret)?.1.id == alice.id)
        #expect(try await sessions.resume(secret: "garbage") == nil)
        #expect(try await sessions.resume(secret: String(repeating: "A", count: 43)) == nil)

        // Used every 50 minutes: alive until the absolute lifetime of four hours.
        for _ in 0..<4 {
            clock.advance(by: 50 * 60)
            #expect(try await sessions.resume(secret: secret) != nil)
        }
        clock.advance(by: 41 * 60)
        #expect(try await sessions.resume(secret: secret) == nil)
        #expect(try await repository.session(secretHash: SecretToken.hash(secret)) == nil, "a dead session is deleted")

        let (_, idle) = try await sessions.start(for: alice, userAgent: nil, clientAddress: nil)
        clock.advance(by: 3601)
        #expect(try await sessions.resume(secret: idle) == nil)
    }

    @Test func passwordChangesSuspensionsAndDeletionEndSessions() async throws {
        let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let (_, first) = try await sessions.start(for: alice, userAgent: nil, clientAddress: nil)
        try await accounts.setPassword("alice", password: "another-horse-8")
        #expect(try await sessions.resume(secret: first) == nil)
        // A sign-in checked against the old password just before the change (the
        // `User` read then) gets no session (security review of the portal, M1).
        await #expect(throws: AccountsError.self) { _ = try await sessions.start(for: alice, userAgent: nil, clientAddress: nil) }
        let current = try await accounts.user("alice")

        let (_, second) = try await sessions.start(for: current, userAgent: nil, clientAddress: nil)
        _ = try await accounts.setStatus("alice", .suspended)
        #expect(try await sessions.resume(secret: second) == nil)
        _ = try await accounts.setStatus("alice", .active)

        let (_, third) = try await sessions.start(for: current, userAgent: nil, clientAddress: nil)
        let (session, fourth) = try await sessions.start(for: current, userAgent: nil, clientAddress: nil)
        try await sessions.end(session)
        #expect(try await sessions.resume(secret: fourth) == nil)
        #expect(try await sessions.resume(secret: third) != nil)
        try await accounts.deleteUser("alice")
        #expect(try await sessions.resume(secret: third) == nil)
    }

    @Test func onlyTheOwnerRevokesATokenOrKey() async throws {
        let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let (bob, _) = try await accounts.createUser(username: "bob", email: nil, password: "correct-horse-9")
        let (token, _) = try await accounts.createAccessToken("bob", name: "ci", lifetime: nil)
        let (key, _) = try await accounts.createMirrorKey("bob")
        await #expect(throws: AccountsError.tokenNotFound(String(token.id))) { try await accounts.revokeAccessToken(id: token.id, ownedBy: alice) }
        await #expect(throws: AccountsError.mirrorKeyNotFound(String(key.id))) { try await accounts.revokeMirrorKey(id: key.id, ownedBy: alice) }
        try await accounts.revokeAccessToken(id: token.id, ownedBy: bob)
        try await accounts.revokeMirrorKey(id: key.id, ownedBy: bob)
        #expect(try await repository.accessToken(id: token.id)?.revokedAt != nil)
        _ = try await accounts.setRole("bob", .admin)
        #expect(try await repository.user(named: "bob")?.role == .admin)
    }
}
