import ArgumentParser
import Logging

/// `ferry migrate`: applies pending SQL migrations.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Apply pending database migrations.")

    @OptionGroup var database: DatabaseOptions

    func run() async throws {
        let (settings, directory, _) = try await database.load()
        let migrations = try SchemaMigrator.load(directory: directory)
        let logger = Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })
        let applied = try await withDatabase(settings, logger: logger) { client in
            try await SchemaMigrator(client: client, migrations: migrations, logger: logger).migrate()
        }
        if applied.isEmpty {
            print("database is up to date (\(migrations.count) migrations)")
        } else {
            for name in applied { print("applied \(name)") }
        }
    }
}
