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

import FerryServer
import FerryTestSupport

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

    /// Runs `body` with a billing store of its own over the instance's database, for
    /// test fixtures the product has no command for (usage from past days, a
    /// subscription that ended long ago).
    func withStore<T: Sendable>(_ body: @Sendable (PostgresBillingStore) async throws -> T) async throws -> T {
        try await withDatabase(try DatabaseSettings.parse(databaseURL)) { client in
            try await body(PostgresBillingStore(client: client, logger: quietLogger, calendar: billing?.calendar ?? BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)))
        }
    }

    /// Creates a user subscribed to `plan`.
    @discardableResult
    func addSubscriber(_ name: String, plan: String = "basic") async throws -> User {
        let user = try await addUser(name)
        _ = try await billing!.start(userID: user.id, username: name, planName: plan, months: 1)
        return user
    }
}

/// Runs Ferry in subscribers mode against the test registry over its own fresh
/// PostgreSQL database: `buildApplication` over `Dependencies.live`, exactly as `ferry
/// serve` builds it, configured through the keys an operator sets. Two settings differ
/// from the defaults: the standing of credentials and plans is re-read on every request
/// (`token.recheck-interval: 0s`; the 5-second bound is pinned by the unit tests), and
/// usage is flushed when the test calls `meter.flush()` (or every `flushInterval`). With
/// `billing`, plans are enforced and usage metered. `upstream` replaces the test
/// registry's URL (e.g. with an `UpstreamProxy` in front of it); `extra` adds configuration keys.
func withSubscriberFerry<T: Sendable>(
    mirrorDomain: String? = "mirror.test",
    billing: Bool = false,
    flushInterval: Duration = .seconds(300),
    upstream upstreamURL: String? = nil,
    configuration extra: [String: String] = [:],
    _ body: @Sendable (SubscriberFerry) async throws -> T
) async throws -> T {
    // The port is chosen before the listener binds it (the public URL names it), so a
    // test running alongside may take it first: then try another.
    for attempt in 1...5 {
        do {
            return try await withSubscriberFerry(
                port: reserveFreePort(), mirrorDomain: mirrorDomain, billing: billing, flushInterval: flushInterval, upstream: upstreamURL, extra: extra, body
            )
        } catch let error as IOError where error.errnoCode == EADDRINUSE && attempt < 5 {
            continue
        }
    }
    throw ServerDidNotStart()
}

private func withSubscriberFerry<T: Sendable>(
    port: Int, mirrorDomain: String?, billing: Bool, flushInterval: Duration, upstream upstreamURL: String?, extra: [String: String],
    _ body: @Sendable (SubscriberFerry) async throws -> T
) async throws -> T {
    let environment = try TestEnvironment.require()
    let databaseURL = try await environment.makeDatabase()
    var values = upstreamKeys([testUpstream(id: "local", registry: "registry.test", url: upstreamURL ?? environment.upstream.absoluteString)], defaultID: "local")
    values.merge([
        "access-mode": "subscribers", "database.url": databaseURL, "listen.port": String(port), "public-url": "http://127.0.0.1:\(port)",
        "billing.enabled": String(billing), "usage.flush-interval": "\(flushInterval.components.seconds)s", "token.recheck-interval": "0s",
        "upstream-timeout.response": "5s", "migrations-dir": DatabaseConfiguration.defaultMigrationsDirectory(),
    ]) { $1 }
    if let mirrorDomain { values["mirror-domain"] = mirrorDomain }
    values.merge(extra) { $1 }
    let configuration = try await testConfiguration(values)
    let dependencies = try await Dependencies.live(configuration, logger: quietLogger)
    return try await withServer({ onRunning in
        try await buildApplication(configuration, dependencies, logger: quietLogger, onServerRunning: onRunning)
    }) { boundPort in
        try await body(SubscriberFerry(
            ferry: FerryInstance(port: boundPort, dataDirectory: configuration.cache.dataDirectory),
            accounts: dependencies.access!.accounts, tokens: dependencies.access!.tokens, databaseURL: databaseURL, configuration: configuration.gateway,
            billing: dependencies.billingService, meter: dependencies.billing?.meter
        ))
    }
}

/// Runs `body` with a client of the PostgreSQL database at `url`, migrated as `ferry
/// serve` migrates it.
func withMigratedDatabase<T: Sendable>(_ url: String, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
    try await withDatabase(try DatabaseSettings.parse(url)) { client in
        _ = try await SchemaMigrator(client: client, migrations: try SchemaMigrator.load(directory: DatabaseConfiguration.defaultMigrationsDirectory()), logger: quietLogger)
            .migrate()
        return try await body(client)
    }
}
