import Accounts
import FerryTestSupport
import Foundation
import Logging
import Testing

@Suite struct AuthenticatorTests {
    let clock = TestClock()
    let repository = InMemoryUserRepository()
    let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
    let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    var accounts: AccountService { AccountService(users: repository, hasher: hasher, now: { [clock] in clock.now }) }

    func makeAuthenticator(throttle: LoginThrottle = LoginThrottle()) throws -> Authenticator {
        try Authenticator(users: repository, hasher: hasher, throttle: throttle, cacheLifetime: 60, logger: logger, now: { [clock] in clock.now })
    }

    @Test func conformanceOfTheInMemoryRepository() async throws {
        let repository = InMemoryUserRepository()
        try await UserRepositoryConformance.run(repository)
        try await UserRepositoryConformance.runSecurity(repository)
    }

    @Test func passwordAndAccessTokenLogins() async throws {
        let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let authenticator = try makeAuthenticator()
        #expect(try await authenticator.authenticate(username: "alice", secret: "correct-horse-9", clientAddress: "10.0.0.1") == .authenticated(alice, via: .password(epoch: 0)))
        #expect(try await authenticator.authenticate(username: "alice", secret: "wrong-password", clientAddress: "10.0.0.1") == .rejected)
        #expect(try await authenticator.authenticate(username: "nobody", secret: "correct-horse-9", clientAddress: "10.0.0.1") == .rejected)

        let (token, secret) = try await accounts.createAccessToken("alice", name: "laptop", lifetime: 3600)
        #expect(try await authenticator.authenticate(username: "alice", secret: secret, clientAddress: nil) == .authenticated(alice, via: .accessToken(id: token.id)))
        #expect(try await authenticator.authenticate(username: "bob", secret: secret, clientAddress: nil) == .rejected)
        #expect(try await repository.accessToken(id: token.id)?.lastUsedAt != nil)
        // Revoked: refused at once, although the success is cached.
        try await accounts.revokeAccessToken(id: token.id)
        #expect(try await authenticator.authenticate(username: "alice", secret: secret, clientAddress: nil) == .rejected)
        // Expired.
        let (_, shortLived) = try await accounts.createAccessToken("alice", name: "short", lifetime: 10)
        clock.advance(by: 11)
        #expect(try await authenticator.authenticate(username: "alice", secret: shortLived, clientAddress: nil) == .rejected)
    }

    @Test func suspensionTakesEffectDespiteTheCache() async throws {
        _ = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let authenticator = try makeAuthenticator()
        guard case .authenticated = try await authenticator.authenticate(username: "alice", secret: "correct-horse-9", clientAddress: nil) else {
            Issue.record("login failed")
            return
        }
        _ = try await accounts.setStatus("alice", .suspended)
        guard case .suspended = try await authenticator.authenticate(username: "alice", secret: "correct-horse-9", clientAddress: nil) else {
            Issue.record("a suspended user still logged in")
            return
        }
    }

    @Test func weakerStoredHashesAreUpgradedOnLogin() async throws {
        let weak = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 512, iterations: 1, parallelism: 1))
        let user = try await repository.createUser(username: "alice", email: nil, passwordHash: try await weak.hash("correct-horse-9"), now: clock.now)
        let authenticator = try makeAuthenticator()
        _ = try await authenticator.authenticate(username: "alice", secret: "correct-horse-9", clientAddress: nil)
        let upgraded = try #require(try await repository.user(id: user.id)).passwordHash
        #expect(PHCString(upgraded)?.parameters == hasher.parameters)
    }

    @Test func mirrorKeysMapToActiveUsersOnly() async throws {
        _ = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
        let (key, secret) = try await accounts.createMirrorKey("alice")
        #expect(try await accounts.userForMirrorKey(secret)?.username == "alice")
        #expect(try await accounts.userForMirrorKey(SecretToken.makeMirrorKey()) == nil)
        _ = try await accounts.setStatus("alice", .suspended)
        #expect(try await accounts.userForMirrorKey(secret) == nil)
        _ = try await accounts.setStatus("alice", .active)
        try await accounts.revokeMirrorKey(id: key.id)
        #expect(try await accounts.userForMirrorKey(secret) == nil)
        await #expect(throws: AccountsError.mirrorKeyNotFound(String(key.id))) { try await accounts.revokeMirrorKey(id: key.id) }
    }

    @Test func administrationErrors() async throws {
        await #expect(throws: AccountsError.self) { _ = try await accounts.createUser(username: "Bad Name", email: nil, password: nil) }
        await #expect(throws: AccountsError.self) { _ = try await accounts.createUser(username: "alice", email: "not-an-email", password: nil) }
        await #expect(throws: AccountsError.self) { _ = try await accounts.createUser(username: "alice", email: nil, password: "short") }
        let (_, generated) = try await accounts.createUser(username: "alice", email: nil, password: nil)
        #expect(generated?.count == 24)
        await #expect(throws: AccountsError.userExists("alice")) { _ = try await accounts.createUser(username: "alice", email: nil, password: nil) }
        await #expect(throws: AccountsError.userNotFound("zed")) { try await accounts.deleteUser("zed") }
        await #expect(throws: AccountsError.tokenNotFound("42")) { try await accounts.revokeAccessToken(id: 42) }
    }
}
