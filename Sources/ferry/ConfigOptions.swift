import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation
import Gateway
import Logging

/// The options every command takes. Each flag overrides the matching `FERRY_*`
/// environment variable, which overrides the config file; every command reads the
/// parts of the configuration it needs through the same initializers `ferry serve` uses.
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

    @Option(name: .customLong("database-url"), help: "PostgreSQL URL without a password, postgres://user@host:port/db (database.url; a URL with a password goes in FERRY_DATABASE_URL or database.url-file).")
    var databaseURL: String?

    /// Refuses a secret on the command line, where `ps` shows it to every local user.
    func validate() throws {
        if let databaseURL, let password = URLComponents(string: databaseURL)?.password, !password.isEmpty {
            throw CommandError("--database-url: a password on the command line is visible to every local user; set FERRY_DATABASE_URL or database.url-file instead")
        }
    }

    /// The flags as dotted configuration keys.
    var flags: [String: String] {
        let pairs: [(String, String?)] = [
            ("listen.host", host), ("listen.port", port.map(String.init)), ("public-url", publicURL),
            ("domain", domain), ("data-dir", dataDirectory), ("access-mode", accessMode), ("log.level", logLevel),
            ("database.url", databaseURL),
        ]
        return Dictionary(uniqueKeysWithValues: pairs.compactMap { key, value in value.map { (key, $0) } })
    }

    /// The configuration file named by `--config` or `FERRY_CONFIG`.
    var configFile: String? {
        config ?? ProcessInfo.processInfo.environment["FERRY_CONFIG"]
    }

    /// The whole configuration as `ferry serve` reads it (unknown keys in the file are
    /// an error), with the `FERRY_*` environment variables nobody reads.
    func load() async throws -> (configuration: FerryConfiguration, unknownEnvironment: [String]) {
        try await FerryConfiguration.load(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: configFile)
    }

    /// The values, for commands that read one part of the configuration.
    func values() async throws -> ConfigValues {
        try await ConfigSources.load(flags: flags, environment: ProcessInfo.processInfo.environment, configFile: configFile).values
    }

    /// Runs `body` with the services over the configured PostgreSQL database, counting
    /// billing days with the settings `ferry serve` stored there (billing review B4); a
    /// setting of this command's own that disagrees with them is refused.
    func withDatabase<T: Sendable>(_ body: @Sendable (DatabaseServices) async throws -> T) async throws -> T {
        let values = try await values()
        let database = try DatabaseConfiguration(reader: values)
        let billing = try BillingConfiguration(reader: values)
        let settings = try database.required(by: "this command")
        return try await FerryServer.withDatabase(settings) { client in
            try await body(try await DatabaseServices.forCommand(client: client, billing: billing, hasher: Argon2PasswordHasher(), logger: cliLogger, now: Date.init))
        }
    }

    /// Runs `body` with the services built from this command's own billing settings
    /// (`ferry migrate`, which stores them), and those settings when they were set.
    func withOwnSettings<T: Sendable>(_ body: @Sendable (DatabaseServices, BillingSettings?) async throws -> T) async throws -> T {
        let values = try await values()
        let billing = try BillingConfiguration(reader: values)
        let settings = try DatabaseConfiguration(reader: values).required(by: "this command")
        let explicit = billing.timeZoneIsSet || billing.graceDaysIsSet ? billing.settings : nil
        return try await FerryServer.withDatabase(settings) { client in
            try await body(DatabaseServices(client: client, settings: billing.settings, hasher: Argon2PasswordHasher(), logger: cliLogger, now: Date.init), explicit)
        }
    }

    /// Runs `body` with the payment inbox (verifying with the configured keys) and the
    /// services over PostgreSQL.
    func withInbox<T: Sendable>(_ body: @Sendable (PaymentInbox, DatabaseServices) async throws -> T) async throws -> T {
        let values = try await values()
        let gateway = try GatewayConfiguration(reader: values, servesTLS: try TLSFiles.read(values) != nil)
        let payments = try PaymentsConfiguration(reader: values, publicURL: gateway.publicURL)
        return try await withDatabase { database in
            let inbox = PaymentInbox(service: database.billing, alipay: payments.checkout.alipay, stripeSecrets: payments.stripeSecrets)
            return try await body(inbox, database)
        }
    }

    /// Runs `body` with the account service over PostgreSQL.
    func withAccounts<T: Sendable>(_ body: @Sendable (AccountService) async throws -> T) async throws -> T {
        try await withDatabase { try await body($0.accounts) }
    }

    /// Runs `body` with the billing and account services over PostgreSQL.
    func withBilling<T: Sendable>(_ body: @Sendable (BillingService, AccountService) async throws -> T) async throws -> T {
        try await withDatabase { try await body($0.billing, $0.accounts) }
    }
}

/// Commands log nothing of their own; what they report, they print.
let cliLogger = Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })

/// `ferry config-check`: validates the configuration and prints the effective values.
struct ConfigCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config-check",
        abstract: "Validate the configuration and print the effective settings (secrets redacted)."
    )

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let (configuration, unknownEnvironment) = try await options.load()
        print("listen        \(configuration.gateway.host):\(configuration.gateway.port)")
        print("public-url    \(configuration.gateway.publicURL.absoluteString)")
        print("access-mode   \(configuration.accessMode.rawValue)")
        print("database      \(configuration.database.settings?.redacted ?? "-")")
        print("token         service \(configuration.gateway.tokenService), realm \(configuration.gateway.realm), lifetime \(configuration.token.lifetime)s")
        print("data-dir      \(configuration.cache.dataDirectory)")
        print("billing       \(configuration.billing.timeZone.identifier), \(configuration.billing.graceDays) grace days")
        print("payments      \(configuration.payments.summary)")
        print("revalidate    \(configuration.cache.tagRevalidation)")
        for upstream in configuration.upstreams.upstreams {
            let marker = upstream.id == configuration.upstreams.defaultUpstream ? " (default)" : ""
            print("upstream      \(upstream.id)\(marker) \(upstream.registry) -> \(upstream.url.absoluteString) hosts=[\(upstream.hosts.joined(separator: ","))] credentials=\(upstream.credentials?.description ?? "anonymous")")
        }
        for name in unknownEnvironment {
            print("warning       \(name) is not a Ferry setting (ignored)")
        }
        for warning in configuration.warnings {
            print("warning       \(warning)")
        }
    }
}
