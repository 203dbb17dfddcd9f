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

    /// The services over `client`, counting billing days with `settings` (the server's
    /// configuration, or what `ferry serve` stored for a command).
    public init(client: PostgresClient, settings: BillingSettings, hasher: Argon2PasswordHasher, logger: Logger, now: @escaping @Sendable () -> Date) {
        let calendar = settings.calendar
        self.client = client
        users = PostgresUserRepository(client: client, logger: logger)
        accounts = AccountService(users: users, hasher: hasher, now: now)
        billingStore = PostgresBillingStore(client: client, logger: logger, calendar: calendar, now: now)
        self.billing = BillingService(store: billingStore, calendar: calendar, graceDays: settings.graceDays, now: now)
        signingKeys = PostgresSigningKeyRepository(client: client, logger: logger)
        audit = PostgresAuditLog(client: client, logger: logger)
    }

    /// The services for a command (billing review B4): billing days are counted with the
    /// settings `ferry serve` stored in the database, so a command run with nothing but
    /// the database URL agrees with the server. A time zone or grace days set for the
    /// command that differ from the stored ones are refused (a command must not count
    /// days differently from the server); with nothing stored yet, the command's own
    /// settings apply.
    public static func forCommand(
        client: PostgresClient, billing: BillingConfiguration, hasher: Argon2PasswordHasher, logger: Logger, now: @escaping @Sendable () -> Date
    ) async throws -> DatabaseServices {
        var settings = billing.settings
        if let stored = try await PostgresBillingStore.settings(client: client, logger: logger) {
            if billing.timeZoneIsSet, billing.timeZone.identifier != stored.timeZone.identifier {
                throw ConfigurationError(
                    "billing.time-zone: \(billing.timeZone.identifier) here, but the server stores \(stored.timeZone.identifier): unset it, or run ferry migrate with the new zone"
                )
            }
            if billing.graceDaysIsSet, billing.graceDays != stored.graceDays {
                throw ConfigurationError("billing.grace-days: \(billing.graceDays) here, but the server stores \(stored.graceDays): unset it, or run ferry migrate with the new value")
            }
            settings = stored
        }
        return DatabaseServices(client: client, settings: settings, hasher: hasher, logger: logger, now: now)
    }

    /// Stores `settings` as the ones every command uses; returns the ones replaced (nil
    /// when they were the same, or none were stored).
    @discardableResult
    public func storeBillingSettings(_ settings: BillingSettings, by writer: String, logger: Logger) async throws -> BillingSettings? {
        try await PostgresBillingStore.store(settings, by: writer, client: client, logger: logger)
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
