import Accounts
import AsyncHTTPClient
import Billing
import Cache
import Foundation
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Portal
import PostgresNIO

@testable import ferry

/// A Ferry gateway in `subscribers` mode over its own fresh PostgreSQL database, and
/// the services to set up users, plans and subscriptions with.
struct SubscriberFerry: Sendable {
    let ferry: FerryInstance
    let accounts: AccountService
    let tokens: RegistryTokenService
    let databaseURL: String
    let configuration: GatewayConfiguration
    /// Present when the instance enforces plans.
    let billing: BillingService?
    let meter: UsageMeter?

    /// Creates a user with a known password.
    @discardableResult
    func addUser(_ name: String, password: String = "correct-horse-9") async throws -> User {
        try await accounts.createUser(username: name, email: nil, password: password).0
    }

    /// Creates a user subscribed to `plan`.
    @discardableResult
    func addSubscriber(_ name: String, plan: String = "basic") async throws -> User {
        let user = try await addUser(name)
        _ = try await billing!.start(userID: user.id, username: name, planName: plan, months: 1)
        return user
    }
}

/// Runs Ferry in subscribers mode (the same wiring as `ferry serve`) against the test
/// registry, with user status re-read on every request (no waiting in tests). With
/// `billing`, plans are enforced and usage metered (flushed when the test calls
/// `meter.flush()`, or every `flushInterval`). `upstream` replaces the test registry's
/// URL (e.g. with an `UpstreamProxy` in front of it).
func withSubscriberFerry<T: Sendable>(
    mirrorDomain: String? = "mirror.test",
    billing: Bool = false,
    flushInterval: Duration = .seconds(3600),
    upstream upstreamURL: String? = nil,
    _ body: @Sendable (SubscriberFerry) async throws -> T
) async throws -> T {
    let environment = try TestEnvironment.require()
    let databaseURL = try await environment.makeDatabase()
    let settings = try DatabaseSettings.parse(databaseURL)
    let port = reserveFreePort()
    let configuration = GatewayConfiguration(
        host: "127.0.0.1", port: port, publicURL: URL(string: "http://127.0.0.1:\(port)")!, mirrorDomain: mirrorDomain
    )
    let dataDirectory = temporaryDirectory("subscriber")
    let client = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    do {
        let result = try await withDatabase(settings, logger: quietLogger) { database in
            _ = try await SchemaMigrator(client: database, migrations: try SchemaMigrator.load(directory: FerryConfiguration.defaultMigrationsDirectory()), logger: quietLogger).migrate()
            let users = PostgresUserRepository(client: database, logger: quietLogger)
            let keys = PostgresSigningKeyRepository(client: database, logger: quietLogger)
            let tokens = RegistryTokenService(issuer: "ferry", service: configuration.tokenService, lifetime: 300)
            try await tokens.replaceKeys(try await keys.keysCreatingFirst(now: Date()))
            let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 4096, iterations: 1, parallelism: 1))
            let accounts = AccountService(users: users, hasher: hasher)

            let store = PostgresBillingStore(client: database, logger: quietLogger)
            let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
            let meter = UsageMeter(sink: store, calendar: calendar, logger: quietLogger)
            let gatewayBilling = billing
                ? GatewayBilling(limits: SubscriberLimits(source: store, states: store, meter: meter, calendar: calendar, graceDays: 3, standingLifetime: 0), meter: meter, flushInterval: flushInterval)
                : nil
            let authenticator = try Authenticator(users: users, hasher: hasher, logger: quietLogger)
            let auth = GatewayAuth(tokens: tokens, authenticator: authenticator, accounts: accounts, billing: gatewayBilling, statusLifetime: 0)
            let portal = Portal(
                accounts: accounts, authenticator: authenticator, sessions: PortalSessions(users: users),
                audit: PostgresAuditLog(client: database, logger: quietLogger),
                billing: gatewayBilling.map { PortalBilling(limits: $0.limits, service: BillingService(store: store, calendar: calendar, graceDays: 3)) },
                settings: PortalSettings(
                    publicURL: configuration.publicURL, registries: [.init(name: "registry.test", server: environment.upstream.absoluteString)],
                    defaultRegistry: "registry.test", mirrorDomain: mirrorDomain, servesTLS: false
                ),
                renderer: try await PageRenderer.bundled()
            )
            let upstream = RegistryUpstream(
                configuration: testUpstream(id: "local", registry: "registry.test", url: upstreamURL ?? environment.upstream.absoluteString),
                client: client, responseTimeout: .seconds(5), logger: quietLogger
            )
            let controller = RegistryController(
                directory: try UpstreamDirectory(upstreams: [upstream], defaultID: "local"),
                manifests: PullThroughManifestCache(store: try FileSystemManifestStore(root: dataDirectory), revalidationInterval: 300, logger: quietLogger),
                blobs: PullThroughBlobCache(store: try FileSystemBlobStore(root: dataDirectory), logger: quietLogger) { upstream, bytes in
                    meter.recordUpstreamBytes(upstream: upstream, bytes: bytes)
                }
            )
            return try await withServer({ onRunning in
                buildApplication(
                    configuration: configuration, controller: controller, access: .subscribers(auth), portal: portal, logger: quietLogger, onServerRunning: onRunning
                )
            }) { boundPort in
                try await body(SubscriberFerry(
                    ferry: FerryInstance(port: boundPort, dataDirectory: dataDirectory),
                    accounts: accounts, tokens: tokens, databaseURL: databaseURL, configuration: configuration,
                    billing: billing ? BillingService(store: store, calendar: calendar, graceDays: 3) : nil,
                    meter: billing ? meter : nil
                ))
            }
        }
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}
