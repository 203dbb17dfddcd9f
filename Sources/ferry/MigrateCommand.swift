import ArgumentParser
import Billing
import FerryServer

/// `ferry migrate`: applies pending SQL migrations, and stores the billing time zone and
/// grace days every command uses when they are configured (`billing.time-zone`,
/// `billing.grace-days`; `ferry serve` stores its own at start-up).
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations (and store the configured billing settings).")

    @OptionGroup var config: ConfigOptions

    func run() async throws {
        let directory = try DatabaseConfiguration(reader: try await config.values()).migrationsDirectory
        let count = try SchemaMigrator.load(directory: directory).count
        let (applied, stored) = try await config.withOwnSettings { database, settings -> ([String], BillingSettings?) in
            let applied = try await database.migrate(directory: directory, logger: cliLogger)
            if let settings { try await database.storeBillingSettings(settings, by: "ferry migrate", logger: cliLogger) }
            return (applied, settings)
        }
        if applied.isEmpty {
            print("database is up to date (\(count) migrations)")
        } else {
            for name in applied { print("applied \(name)") }
        }
        if let stored { print("billing settings stored: \(stored.timeZone.identifier), \(stored.graceDays) grace days") }
    }
}
