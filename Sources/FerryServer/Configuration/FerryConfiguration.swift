import Gateway
import Logging

/// Everything `ferry serve` needs, read once at start-up and validated, one part per
/// concern; each part documents its keys. Keys come from flags > `FERRY_*` environment
/// variables > the JSON config file (see `ConfigSources`), and docs/configuration.md
/// lists them all.
///
/// Configuration keys read here: `access-mode` (`subscribers`, the default, or `open`)
/// and `shutdown.grace-period` (how long requests in flight may run after SIGTERM,
/// default 30s).
public struct FerryConfiguration: Sendable {
    /// Who may pull.
    public var accessMode: AccessMode
    /// The listener and how clients reach it.
    public var gateway: GatewayConfiguration
    /// The listener's timeouts and per-address connection cap.
    public var listener: ListenerConfiguration
    /// Built-in TLS; nil serves plain HTTP/1.1 (with zero-copy cache hits).
    public var tls: TLSFiles?
    public var database: DatabaseConfiguration
    public var token: TokenConfiguration
    /// Password checks and their global budget.
    public var login: LoginConfiguration
    public var billing: BillingConfiguration
    public var cache: CacheConfiguration
    /// The shared store behind the local cache, if any.
    public var storage: StorageConfiguration
    public var upstreams: UpstreamsConfiguration
    public var portal: PortalConfiguration
    /// Online payments (Alipay, Stripe); off unless configured.
    public var payments: PaymentsConfiguration
    public var log: LogConfiguration
    /// How long requests in flight may run after SIGTERM.
    public var shutdownGracePeriod: Duration

    /// Reads every part from `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        accessMode = try reader.choice("access-mode", default: .subscribers)
        tls = try TLSFiles.read(reader)
        gateway = try GatewayConfiguration(reader: reader, servesTLS: tls != nil)
        listener = try ListenerConfiguration(reader: reader)
        database = try DatabaseConfiguration(reader: reader)
        token = try TokenConfiguration(reader: reader)
        login = try LoginConfiguration(reader: reader)
        billing = try BillingConfiguration(reader: reader)
        cache = try CacheConfiguration(reader: reader)
        storage = try StorageConfiguration(reader: reader)
        upstreams = try UpstreamsConfiguration(reader: reader)
        portal = try PortalConfiguration(reader: reader)
        payments = try PaymentsConfiguration(reader: reader, publicURL: gateway.publicURL)
        log = try LogConfiguration(reader: reader)
        shutdownGracePeriod = try reader.scoped(to: "shutdown").duration("grace-period", default: .seconds(30))
    }

    /// A configuration from dotted keys and values alone (tests; `load` is for servers).
    public init(_ values: [String: String]) async throws(ConfigurationError) {
        self = try FerryConfiguration(reader: try await ConfigSources.load(flags: values, environment: [:], configFile: nil).values)
    }

    /// Reads the whole configuration from flags (dotted keys), the environment and the
    /// config file, and checks that the file holds no key Ferry does not read. Returns
    /// the configuration and the `FERRY_*` environment variables nobody read.
    public static func load(
        flags: [String: String] = [:], environment: [String: String] = [:], configFile: String? = nil
    ) async throws(ConfigurationError) -> (configuration: FerryConfiguration, unknownEnvironment: [String]) {
        let sources = try await ConfigSources.load(flags: flags, environment: environment, configFile: configFile)
        let configuration = try FerryConfiguration(reader: sources.values)
        let unknownEnvironment = try sources.checkUnknownKeys()
        if configuration.accessMode == .subscribers, configuration.database.settings == nil {
            throw ConfigurationError("database.url: required for access-mode subscribers (set FERRY_DATABASE_URL, or use access-mode open)")
        }
        if configuration.storage.backend == .s3, configuration.database.settings == nil {
            throw ConfigurationError("database.url: required for storage.backend s3 (the bucket's contents are recorded there)")
        }
        return (configuration, unknownEnvironment)
    }

    /// What a careful operator should know about this configuration before serving
    /// with it (`ferry config-check` prints these, `ferry serve` logs them).
    public var warnings: [String] {
        var warnings: [String] = []
        for upstream in upstreams.upstreams where upstream.credentials != nil {
            warnings.append(
                "upstream.\(upstream.id).username: every subscriber's pulls from \(upstream.registry) use these credentials; "
                    + "if they can read private repositories, every subscriber can pull them (use a token that reads public repositories only)"
            )
        }
        if accessMode == .open { warnings.append("access-mode open: anyone who can reach this listener may pull") }
        return warnings
    }

    /// Logs the effective configuration; credentials appear as `user:<redacted>`.
    public func log(to logger: Logger) {
        logger.info("configuration", metadata: [
            "listen": "\(gateway.host):\(gateway.port)\(tls == nil ? "" : " (TLS, HTTP/2)")",
            "public-url": "\(gateway.publicURL.absoluteString)",
            "domain": "\(upstreams.domain ?? "-")",
            "access-mode": "\(accessMode.rawValue)",
            "database": "\(database.settings?.redacted ?? "-")",
            "token-service": "\(gateway.tokenService)",
            "mirror-domain": "\(gateway.mirrorDomain ?? "-")",
            "billing": "\(billing.enabled ? "on, \(billing.timeZone.identifier), \(billing.graceDays) grace days, flush every \(billing.flushInterval)" : "off")",
            "data-dir": "\(cache.dataDirectory)",
            "cache-budget": "\(cache.budget.map { "\($0)" } ?? "unlimited")",
            "storage": "\(storage.s3.map { "\($0)" } ?? "filesystem")",
            "tag-revalidation": "\(cache.tagRevalidation)",
            "timeouts": "connect \(upstreams.connectTimeout), response \(upstreams.responseTimeout), read \(upstreams.readTimeout)",
            "default-upstream": "\(upstreams.defaultUpstream)",
            "payments": "\(payments.summary)",
        ])
        for upstream in upstreams.upstreams {
            logger.info("upstream", metadata: [
                "id": "\(upstream.id)",
                "registry": "\(([upstream.registry] + upstream.aliases).joined(separator: ","))",
                "url": "\(upstream.url.absoluteString)",
                "hosts": "\(upstream.hosts.joined(separator: ","))",
                "credentials": "\(upstream.credentials?.description ?? "anonymous")",
            ])
        }
    }
}
