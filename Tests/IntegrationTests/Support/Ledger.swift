import Accounts
import Billing
import Foundation
import Synchronization

import FerryServer

/// A settable clock for the billing services of a ledger test.
final class LedgerClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { current.withLock { $0 } }

    /// Sets the clock to `hour`:00 UTC on `day` (`YYYY-MM-DD`).
    func set(_ day: String, hour: Int = 12) {
        let date = ISO8601DateFormatter().date(from: "\(day)T\(hour < 10 ? "0" : "")\(hour):00:00Z")!
        current.withLock { $0 = date }
    }
}

/// What a ledger test works with: the services over a fresh, migrated database, the
/// store behind them (for fixtures and reads the product has no command for), the
/// clock and the database's URL.
struct Ledger: Sendable {
    let billing: BillingService
    let accounts: AccountService
    let store: PostgresBillingStore
    let clock: LedgerClock
    let databaseURL: String

    /// Creates a user with the standard test password.
    func user(_ name: String) async throws -> User {
        try await accounts.createUser(username: name, email: nil, password: "correct-horse-9").0
    }

    /// Runs `sql` in the database.
    func psql(_ sql: String) async throws -> ProcessResult {
        try await ProcessRunner.run("/usr/bin/psql", [databaseURL, "-qtAc", sql])
    }
}

/// Runs `body` with billing over a fresh database migrated as `ferry serve` does, in
/// `timeZone` with `graceDays`.
func withLedger<T: Sendable>(timeZone: String = "UTC", graceDays: Int = 3, _ body: @Sendable (Ledger) async throws -> T) async throws -> T {
    let environment = try TestEnvironment.require()
    let databaseURL = try await environment.makeDatabase()
    return try await withMigratedDatabase(databaseURL) { database in
        let clock = LedgerClock()
        let calendar = BillingCalendar(timeZone: TimeZone(identifier: timeZone)!)
        let store = PostgresBillingStore(client: database, logger: quietLogger, calendar: calendar, now: { clock.now })
        let billing = BillingService(store: store, calendar: calendar, graceDays: graceDays, now: { clock.now })
        let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
        let accounts = AccountService(users: PostgresUserRepository(client: database, logger: quietLogger), hasher: hasher, now: { clock.now })
        return try await body(Ledger(billing: billing, accounts: accounts, store: store, clock: clock, databaseURL: databaseURL))
    }
}
