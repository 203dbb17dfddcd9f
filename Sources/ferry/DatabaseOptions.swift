import Accounts
import ArgumentParser
import Foundation
import Logging
import PostgresNIO

/// Options of the commands that work directly on PostgreSQL.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "JSON configuration file (or FERRY_CONFIG).")
    var config: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL (database.url, FERRY_DATABASE_URL).")
    var databaseURL: String?

    /// The database settings and the migrations folder from flags, environment and file.
    func load() async throws -> (database: DatabaseSettings, migrations: String, values: ConfigValues) {
        let environment = ProcessInfo.processInfo.environment
        let values = try await ConfigOptions.values(
            flags: databaseURL.map { ["database.url": $0] } ?? [:],
            environment: environment,
            configFile: config ?? environment["FERRY_CONFIG"]
        )
        guard let url = try values.secret("database.url") else {
            throw ConfigurationError("database.url: not set (use --database-url or FERRY_DATABASE_URL)")
        }
        return (try DatabaseSettings.parse(url), values.string("migrations-dir") ?? FerryConfiguration.defaultMigrationsDirectory(), values)
    }

    /// Runs `body` with the account service over PostgreSQL.
    func withAccounts<T: Sendable>(_ body: @Sendable (AccountService, PostgresClient) async throws -> T) async throws -> T {
        let (database, _, _) = try await load()
        let logger = Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })
        return try await withDatabase(database, logger: logger) { client in
            let users = PostgresUserRepository(client: client, logger: logger)
            return try await body(AccountService(users: users, hasher: Argon2PasswordHasher()), client)
        }
    }
}

/// Reads a password from standard input (one line, or everything up to EOF).
func readPasswordFromStandardInput() throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let text = String(data: data, encoding: .utf8) else { throw ConfigurationError("password on standard input is not UTF-8") }
    return text.trimmingCharacters(in: .newlines)
}

/// Prints a value as indented, key-sorted JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A date for tables: `2026-11-29 19:02`, or `-`.
func formatDate(_ date: Date?) -> String {
    guard let date else { return "-" }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: date)
}
