import Foundation
import Logging
import NIOSSL
import PostgresNIO

/// Where PostgreSQL is, parsed from `postgres://user:password@host:port/database?sslmode=…`.
struct DatabaseSettings: Sendable {
    let configuration: PostgresClient.Configuration
    /// The URL without its password, for logs and messages.
    let redacted: String

    static func parse(_ text: String) throws(ConfigurationError) -> DatabaseSettings {
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

/// Runs `body` with a running, reachable `PostgresClient`; fails with a one-line error
/// (never hangs) when the database cannot be reached.
func withDatabase<T: Sendable>(
    _ settings: DatabaseSettings,
    logger: Logger,
    _ body: @Sendable (PostgresClient) async throws -> T
) async throws -> T {
    let client = PostgresClient(configuration: settings.configuration, backgroundLogger: Logger(label: "ferry.postgres", factory: { _ in SwiftLogNoOpLogHandler() }))
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

private func checkReachable(_ client: PostgresClient, settings: DatabaseSettings) async throws {
    try await withThrowingTaskGroup(of: Bool.self) { group in
        group.addTask {
            do {
                try await client.query("SELECT 1")
                return true
            } catch let error as PSQLError {
                throw ConfigurationError("database \(settings.redacted): \(error.serverInfo?[.message] ?? String(describing: error.code))")
            }
        }
        group.addTask {
            try await Task.sleep(for: .seconds(10))
            return false
        }
        let reachable = try await group.next() ?? false
        group.cancelAll()
        guard reachable else {
            throw ConfigurationError("database \(settings.redacted) is unreachable (no connection within 10 s)")
        }
    }
}
