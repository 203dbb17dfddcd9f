import ArgumentParser
import FerryServer

/// `ferry migrate`: applies pending SQL migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var config: ConfigOptions

    func run() async throws {
        let directory = try DatabaseConfiguration(reader: try await config.values()).migrationsDirectory
        let count = try SchemaMigrator.load(directory: directory).count
        let applied = try await config.withDatabase { database in try await database.migrate(directory: directory, logger: cliLogger) }
        if applied.isEmpty {
            print("database is up to date (\(count) migrations)")
        } else {
            for name in applied { print("applied \(name)") }
        }
    }
}
