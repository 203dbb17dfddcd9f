import ArgumentParser
import Configuration
import Foundation
import SystemPackage

/// Flags shared by commands that read the configuration. Each flag overrides the
/// matching `FERRY_*` environment variable, which overrides the config file.
struct ConfigOptions: ParsableArguments {
    @Option(help: "JSON configuration file (or FERRY_CONFIG).")
    var config: String?

    @Option(help: "Address to listen on (listen.host, default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (listen.port, default 5000).")
    var port: Int?

    @Option(name: .customLong("public-url"), help: "URL clients use to reach Ferry (public-url).")
    var publicURL: String?

    @Option(help: "Base domain for per-upstream host names such as quay.<domain> (domain).")
    var domain: String?

    @Option(name: .customLong("data-dir"), help: "Cache directory (data-dir, default ./data).")
    var dataDirectory: String?

    @Option(name: .customLong("access-mode"), help: "Who may pull: subscribers (default) or open (access-mode).")
    var accessMode: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error (log.level).")
    var logLevel: String?

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL, postgres://user:password@host:port/db (database.url, FERRY_DATABASE_URL).")
    var databaseURL: String?

    /// Builds the provider hierarchy: flags, then `FERRY_*` environment, then the file.
    func values() async throws -> ConfigValues {
        let pairs: [(String, String?)] = [
            ("listen.host", host), ("listen.port", port.map(String.init)), ("public-url", publicURL),
            ("domain", domain), ("data-dir", dataDirectory), ("access-mode", accessMode), ("log.level", logLevel),
            ("database.url", databaseURL),
        ]
        let environment = ProcessInfo.processInfo.environment
        return try await Self.values(
            flags: Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } }),
            environment: environment,
            configFile: config ?? environment["FERRY_CONFIG"]
        )
    }

    /// The provider hierarchy from explicit sources (tests use this directly).
    static func values(flags: [String: String], environment: [String: String], configFile: String?) async throws -> ConfigValues {
        var flagValues: [AbsoluteConfigKey: ConfigValue] = [:]
        for (key, value) in flags {
            flagValues[AbsoluteConfigKey(ConfigKey(key))] = ConfigValue(.string(value), isSecret: false)
        }
        let environmentProvider = EnvironmentVariablesProvider(
            environmentVariables: environment,
            secretsSpecifier: .dynamic { name, _ in ["PASSWORD", "SECRET", "TOKEN", "DATABASE_URL"].contains { name.contains($0) } }
        )
        var providers: [any ConfigProvider] = [
            InMemoryProvider(name: "flags", values: flagValues),
            environmentProvider.prefixKeys(with: "ferry"),
        ]
        if let path = configFile {
            guard FileManager.default.fileExists(atPath: path) else {
                throw ConfigurationError("config file \(path): no such file")
            }
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw ConfigurationError("config file \(path): not valid JSON configuration (\(error))")
            }
        }
        return ConfigValues(reader: ConfigReader(providers: providers))
    }
}

/// `ferry config-check`: validates the configuration and prints the effective values.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-check",
        abstract: "Validate the configuration and print the effective settings (secrets redacted)."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try FerryConfiguration.load(from: try await options.values())
        print("listen        \(configuration.gateway.host):\(configuration.gateway.port)")
        print("public-url    \(configuration.gateway.publicURL.absoluteString)")
        print("access-mode   \(configuration.accessMode.rawValue)")
        print("database      \(configuration.database?.redacted ?? "-")")
        print("token         service \(configuration.gateway.tokenService), realm \(configuration.gateway.realm), lifetime \(configuration.tokenLifetime)s")
        print("data-dir      \(configuration.dataDirectory)")
        print("revalidate    \(configuration.tagRevalidation)")
        for upstream in configuration.upstreams {
            let marker = upstream.id == configuration.defaultUpstream ? " (default)" : ""
            print("upstream      \(upstream.id)\(marker) \(upstream.registry) -> \(upstream.url.absoluteString) hosts=[\(upstream.hosts.joined(separator: ","))] credentials=\(upstream.credentials?.description ?? "anonymous")")
        }
    }
}
