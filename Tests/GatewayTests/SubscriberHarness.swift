import Accounts
import Cache
import FerryServer
import FerryTestSupport
import Foundation
import HummingbirdTesting
import Logging

/// The real application (`buildApplication` over `Dependencies.inMemory`) in
/// `subscribers` mode: in-memory accounts with user alice, the given upstreams, and one
/// test clock as every part's time, which stands still unless a test moves it.
struct SubscriberHarness: Sendable {
    let users = InMemoryUserRepository()
    let clock = TestClock(Date())
    var upstreams: [any Upstream]
    var values: [String: String] = [:]
    var throttle = LoginThrottle()
    var billing: BillingBackend?
    /// The password hasher; nil for `Dependencies.inMemory`'s fast one.
    var hasher: Argon2PasswordHasher?

    init(upstreams: [any Upstream], values: [String: String] = [:], throttle: LoginThrottle = LoginThrottle(), billing: BillingBackend? = nil) {
        self.upstreams = upstreams
        self.values = values
        self.throttle = throttle
        self.billing = billing
    }

    static let password = "correct-horse-9"
    /// Cheap Argon2 parameters for tests (each run gets a hasher and pool of its own).
    static let fastParameters = Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)

    /// Runs `test` against the application with alice created.
    func run<T: Sendable>(
        _ setup: TestingSetup = .router, logger: Logger = quietTestLogger, _ test: @escaping @Sendable (any TestClientProtocol, Dependencies) async throws -> T
    ) async throws -> T {
        let configuration = try await testConfiguration(["access-mode": "subscribers", "public-url": "https://mirror.test"].merging(values) { $1 })
        let dependencies = try await Dependencies.inMemory(
            configuration, upstreams: upstreams, users: users, hasher: hasher ?? Argon2PasswordHasher(parameters: Self.fastParameters), throttle: throttle, billing: billing,
            now: { [clock] in clock.now }, logger: logger
        )
        _ = try await dependencies.access!.accounts.createUser(username: "alice", email: nil, password: Self.password)
        let app = try await buildApplication(configuration, dependencies, logger: logger)
        return try await app.test(setup) { client in try await test(client, dependencies) }
    }
}

extension Dependencies {
    /// The accounts of a `subscribers` mode application.
    var accounts: AccountService { access!.accounts }
}
