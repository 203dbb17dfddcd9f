import Foundation
import NIOSSL
import PostgresNIO

/// PostgreSQL: subscribers, tokens, plans and usage (required in `subscribers` mode).
///
/// Configuration keys:
/// - `database.url` (or `database.url-file`): `postgres://user:password@host:port/database?sslmode=…`.
/// - `migrations-dir`: the SQL migrations (default `./migrations`, else the folder
///   shipped beside the binary).
public struct DatabaseConfiguration: Sendable {
    /// The connection; nil when no URL is configured.
    public var settings: DatabaseSettings?
    public var migrationsDirectory: String

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        settings = try reader.scoped(to: "database").secret("url").map { text throws(ConfigurationError) in try DatabaseSettings.parse(text) }
        migrationsDirectory = reader.string("migrations-dir") ?? Self.defaultMigrationsDirectory()
    }

    /// The settings, or a one-line error saying how to set them.
    public func required(by purpose: String) throws(ConfigurationError) -> DatabaseSettings {
        guard let settings else { throw ConfigurationError("database.url: \(purpose) needs the database (set --database-url or FERRY_DATABASE_URL)") }
        return settings
    }

    /// `./migrations`, else the folder shipped next to the binary (`../share/ferry/migrations`)
    /// or in the source tree the binary was built in (`.build/<config>/ferry`).
    public static func defaultMigrationsDirectory() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            FileManager.default.currentDirectoryPath + "/migrations",
            executable.appendingPathComponent("../share/ferry/migrations").standardized.path,
            executable.appendingPathComponent("../../migrations").standardized.path,
            executable.appendingPathComponent("../../../migrations").standardized.path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }
}

/// Where PostgreSQL is, parsed from `postgres://user:password@host:port/database?sslmode=…`.
public struct DatabaseSettings: Sendable {
    public let configuration: PostgresClient.Configuration
    /// The URL without its password, for logs and messages.
    public let redacted: String

    /// Parses a URL; the error names `database.url`.
    public static func parse(_ text: String) throws(ConfigurationError) -> DatabaseSettings {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
              let host = components.host, !host.isEmpty
        else {
            throw ConfigurationError("database.url: expected postgres://user:password@host:port/database")
        }
        let username = components.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        let password = components.password.flatMap { $0.removingPercentEncoding }
        let database = String(components.path.drop(while: { $0 == "/" }))
        let port = components.port ?? 5432
        let sslMode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        let tls: PostgresClient.Configuration.TLS
        switch sslMode {
        case "disable": tls = .disable
        case "prefer", "allow": tls = .prefer(.makeClientConfiguration())
        case "require", "verify-ca", "verify-full": tls = .require(.makeClientConfiguration())
        default: throw ConfigurationError("database.url: unknown sslmode \(sslMode)")
        }
        var configuration = PostgresClient.Configuration(
            host: host, port: port, username: username, password: password,
            database: database.isEmpty ? username : database, tls: tls
        )
        configuration.options.connectTimeout = .seconds(5)
        configuration.options.maximumConnections = 20
        let shown = "postgres://\(username)\(password == nil ? "" : ":<redacted>")@\(host):\(port)/\(database.isEmpty ? username : database)"
        return DatabaseSettings(configuration: configuration, redacted: shown)
    }
}
