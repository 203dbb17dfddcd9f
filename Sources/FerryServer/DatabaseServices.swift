import Accounts
import Billing
import Foundation
import Logging
import PostgresNIO

/// The services over one PostgreSQL database, made the same way for `ferry serve` and
/// for every CLI command: accounts, billing, signing keys and the audit log. The
/// repositories behind them stay inside this module.
public struct DatabaseServices: Sendable {
    public let client: PostgresClient
    public let accounts: AccountService
    public let billing: BillingService
    public let signingKeys: PostgresSigningKeyRepository
    public let audit: PostgresAuditLog
    let users: PostgresUserRepository
    let billingStore: PostgresBillingStore

    /// The services over `client`; `billing` gives the time zone and grace days.
    public init(client: PostgresClient, billing: BillingConfiguration, hasher: Argon2PasswordHasher, logger: Logger, now: @escaping @Sendable () -> Date) {
        let calendar = BillingCalendar(timeZone: billing.timeZone)
        self.client = client
        users = PostgresUserRepository(client: client, logger: logger)
        accounts = AccountService(users: users, hasher: hasher, now: now)
        billingStore = PostgresBillingStore(client: client, logger: logger, calendar: calendar, now: now)
        self.billing = BillingService(store: billingStore, calendar: calendar, graceDays: billing.graceDays, now: now)
        signingKeys = PostgresSigningKeyRepository(client: client, logger: logger)
        audit = PostgresAuditLog(client: client, logger: logger)
    }

    /// Applies the migrations in `directory` that are not applied yet; returns their names.
    public func migrate(directory: String, logger: Logger) async throws -> [String] {
        try await SchemaMigrator(client: client, migrations: try SchemaMigrator.load(directory: directory), logger: logger).migrate()
    }

    /// Bytes served from the cache over the last 30 days, as a share of all bytes
    /// served (nil when nothing was served).
    public func cacheHitRatio(days: Int = 30) async throws -> Double? {
        try await billing.cacheHitRatio(days: days)
    }
}

/// A PostgreSQL client for a short-lived command: runs `body` with the client running
/// and reachable; fails with a one-line error (never hangs) when the database cannot
/// be reached. The server runs its client as a service instead.
public func withDatabase<T: Sendable>(_ settings: DatabaseSettings, _ body: @Sendable (PostgresClient) async throws -> T) async throws -> T {
    let client = PostgresClient(configuration: settings.configuration, backgroundLogger: quietLogger)
    return try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask {
            await client.run()
            return nil
        }
        defer { group.cancelAll() }
        try await checkReachable(client, settings: settings)
        return try await body(client)
    }
}

/// Fails with a one-line `StartupError` unless PostgreSQL answers within 10 seconds.
func checkReachable(_ client: PostgresClient, settings: DatabaseSettings) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            do {
                try await client.query("SELECT 1")
                return true
            } catch let error as PSQLError {
                throw StartupError("database \(settings.redacted): \(error.serverInfo?[.message] ?? String(describing: error.code))")
            }
        }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return false
        }
        let reachable = try await group.next() ?? false
        group.cancelAll()
        guard reachable else {
            throw StartupError("database \(settings.redacted) is unreachable (no connection within 10 s)")
        }
    }
}

/// Why PostgreSQL is not usable right now (empty when it answers within 2 seconds).
func databaseProblems(_ client: PostgresClient) async -> [String] {
    await withTaskGroup(of: String?.self) { group in
        group.addTask {
            do {
                try await client.query("SELECT 1")
                return nil
            } catch {
                return "PostgreSQL: \(error)"
            }
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(2))
            return "PostgreSQL did not answer within 2 seconds"
        }
        let first = await group.next() ?? nil
        group.cancelAll()
        return first.map { [$0] } ?? []
    }
}

/// A logger for background noise nobody reads (the database client's own lines).
let quietLogger = Logger(label: "ferry.quiet", factory: { _ in SwiftLogNoOpLogHandler() })
