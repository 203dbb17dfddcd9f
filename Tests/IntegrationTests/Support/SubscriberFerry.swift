import Accounts
import AsyncHTTPClient
import Cache
import Foundation
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

@testable import ferry

/// A Ferry gateway in `subscribers` mode over its own fresh PostgreSQL database, and
/// the account service to set up users with.
struct SubscriberFerry: Sendable {
    let ferry: FerryInstance
    let accounts: AccountService
    let tokens: RegistryTokenService
    let databaseURL: String
    let configuration: GatewayConfiguration

    /// Creates a user with a known password.
    @discardableResult
    func addUser(_ name: String, password: String = "correct-horse-9") async throws -> User {
        try await accounts.createUser(username: name, email: nil, password: password).0
    }
}

/// Runs Ferry in subscribers mode (the same wiring as `ferry serve`) against the test
/// registry, with user status re-read on every request (no waiting in tests).
func withSubscriberFerry<T: Sendable>(
    mirrorDomain: String? = "mirror.test",
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
        let result = try await run(settings: settings, configuration: configuration, dataDirectory: dataDirectory, databaseURL: databaseURL, client: client, environment: environment, body)
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

private func run<T: Sendable>(
    settings: DatabaseSettings,
    configuration: GatewayConfiguration,
    dataDirectory: String,
    databaseURL: String,
    client: HTTPClient,
    environment: TestEnvironment,
    _ body: @Sendable (SubscriberFerry) async throws -> T
) async throws -> T {
    try await withDatabase(settings, logger: quietLogger) { database in
        _ = try await SchemaMigrator(client: database, migrations: try SchemaMigrator.load(directory: FerryConfiguration.defaultMigrationsDirectory()), logger: quietLogger).migrate()
        let users = PostgresUserRepository(client: database, logger: quietLogger)
        let keys = PostgresSigningKeyRepository(client: database, logger: quietLogger)
        let tokens = RegistryTokenService(issuer: "ferry", service: configuration.tokenService, lifetime: 300)
        try await tokens.replaceKeys(try await keys.keysCreatingFirst(now: Date()))
        let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 4096, iterations: 1, parallelism: 1))
        let accounts = AccountService(users: users, hasher: hasher)
        let auth = GatewayAuth(
            tokens: tokens,
            authenticator: try Authenticator(users: users, hasher: hasher, logger: quietLogger),
            accounts: accounts,
            statusLifetime: 0
        )
        let upstream = RegistryUpstream(
            configuration: testUpstream(id: "local", registry: "registry.test", url: environment.upstream.absoluteString),
            client: client, responseTimeout: .seconds(5), logger: quietLogger
        )
        let controller = RegistryController(
            directory: try UpstreamDirectory(upstreams: [upstream], defaultID: "local"),
            manifests: PullThroughManifestCache(store: try FileSystemManifestStore(root: dataDirectory), revalidationInterval: 300, logger: quietLogger),
            blobs: PullThroughBlobCache(store: try FileSystemBlobStore(root: dataDirectory), logger: quietLogger)
        )
        return try await withServer({ onRunning in
            buildApplication(configuration: configuration, controller: controller, access: .subscribers(auth), logger: quietLogger, onServerRunning: onRunning)
        }) { boundPort in
            try await body(SubscriberFerry(
                ferry: FerryInstance(port: boundPort, dataDirectory: dataDirectory),
                accounts: accounts, tokens: tokens, databaseURL: databaseURL, configuration: configuration
            ))
        }
    }
}
