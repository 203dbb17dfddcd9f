#if canImport(Glibc)
import Glibc
#endif
import Cache
import Configuration
import Foundation
import Gateway
import Logging

/// Everything `ferry serve` needs, read once at start-up and validated.
///
/// Keys (file key / environment variable / flag):
/// `listen.host` `FERRY_LISTEN_HOST` `--host`, `listen.port` `FERRY_LISTEN_PORT` `--port`,
/// `public-url`, `domain`, `data-dir`, `access-mode`, `cache.tag-revalidation`,
/// `upstream-timeout.connect|response|read`, `default-upstream`, `upstreams` (list of
/// ids), and per upstream `upstream.<id>.registry|url|aliases|hosts|library|username|
/// password|password-file|trusted-realms`.
struct FerryConfiguration: Sendable {
    var gateway: GatewayConfiguration
    /// Certificate and key files for built-in TLS; nil serves plain HTTP.
    var tlsFiles: (certificate: String, key: String)?
    var accessMode: AccessMode
    var database: DatabaseSettings?
    var migrationsDirectory: String
    var tokenIssuer: String
    var tokenLifetime: Int
    /// PEM files for the signing key and certificate, instead of keys kept in PostgreSQL.
    var signingKeyFiles: (key: String, certificate: String)?
    /// Plans, quotas and metering (subscribers mode).
    var billingEnabled: Bool
    var billingTimeZone: TimeZone
    var graceDays: Int
    var usageFlushInterval: Duration
    /// How long in-flight requests may run after SIGTERM.
    var shutdownGracePeriod: Duration
    var dataDirectory: String
    /// The blob cache's size budget, as configured (`50GiB` or `80%` of the disk).
    var cacheBudget: CacheBudget?
    /// Eviction goes down to this fraction of the budget.
    var cacheLowWater: Double
    /// Downloads stop writing to disk when less than this would stay free.
    var cacheMinimumFree: Int64
    var domain: String?
    var tagRevalidation: Duration
    var connectTimeout: Duration
    var responseTimeout: Duration
    var readTimeout: Duration
    var upstreams: [UpstreamConfiguration]
    var defaultUpstream: String
    var logLevel: Logger.Level
    /// `text` or `json` log lines.
    var logFormat: LogFormat

    /// Reads and validates the configuration.
    static func load(from values: ConfigValues) throws(ConfigurationError) -> FerryConfiguration {
        let host = values.string("listen.host", default: "127.0.0.1")
        let port = try values.int("listen.port", default: 5000, range: 1...65535)
        let domain = values.string("domain")?.lowercased()
        var tlsFiles: (String, String)?
        if let certificate = values.string("tls.certificate-file") {
            guard let key = values.string("tls.key-file") else { throw ConfigurationError("tls.key-file: required with tls.certificate-file") }
            tlsFiles = (certificate, key)
        } else if values.string("tls.key-file") != nil {
            throw ConfigurationError("tls.certificate-file: required with tls.key-file")
        }
        let scheme = tlsFiles == nil ? "http" : "https"
        let publicURL = try values.url("public-url", default: "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)")!
        let modeText = values.string("access-mode", default: AccessMode.subscribers.rawValue)
        guard let accessMode = AccessMode(rawValue: modeText) else {
            throw ConfigurationError("access-mode: \"\(modeText)\" is not one of \(AccessMode.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let levelText = values.string("log.level", default: "info")
        guard let logLevel = Logger.Level(rawValue: levelText) else {
            throw ConfigurationError("log.level: \"\(levelText)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        let dataDirectory = values.string("data-dir", default: "./data")
        let formatText = values.string("log.format", default: "text")
        guard let logFormat = LogFormat(rawValue: formatText) else { throw ConfigurationError("log.format: \"\(formatText)\" is not text or json") }

        let ids = values.list("upstreams") ?? DefaultUpstreams.all.map(\.id)
        guard !ids.isEmpty else { throw ConfigurationError("upstreams: at least one upstream is required") }
        var upstreams: [UpstreamConfiguration] = []
        for id in ids {
            upstreams.append(try upstream(id, values: values, domain: domain))
        }
        try checkUnique(upstreams)
        let defaultUpstream = values.string("default-upstream", default: ids.contains("docker") ? "docker" : ids[0])
        guard ids.contains(defaultUpstream) else {
            throw ConfigurationError("default-upstream: \"\(defaultUpstream)\" is not in upstreams (\(ids.joined(separator: ", ")))")
        }

        let database = try values.secret("database.url").map { text throws(ConfigurationError) in try DatabaseSettings.parse(text) }
        if accessMode == .subscribers, database == nil {
            throw ConfigurationError("database.url: required for access-mode subscribers (set FERRY_DATABASE_URL, or use access-mode open)")
        }
        var signingKeyFiles: (String, String)?
        if let key = values.string("token.key-file") {
            guard let certificate = values.string("token.certificate-file") else {
                throw ConfigurationError("token.certificate-file: required with token.key-file")
            }
            signingKeyFiles = (key, certificate)
        }
        let tokenLifetime = try values.duration("token.lifetime", default: .seconds(300))
        guard tokenLifetime >= .seconds(60), tokenLifetime <= .seconds(86400) else {
            throw ConfigurationError("token.lifetime: must be between 1m and 1d")
        }

        var cacheBudget: CacheBudget?
        if let text = values.string("cache.max-size") {
            if text.hasSuffix("%"), let percent = Double(text.dropLast()), percent > 0, percent <= 100 {
                cacheBudget = .percentOfDisk(percent)
            } else if let bytes = ConfigValues.parseByteCount(text), bytes > 0 {
                cacheBudget = .bytes(bytes)
            } else {
                throw ConfigurationError("cache.max-size: \"\(text)\" is not a size like 50GiB or a share of the disk like 80%")
            }
        }
        let lowWater = try values.int("cache.low-water", default: 90, range: 10...99)
        var minimumFree: Int64 = 256 << 20
        if let text = values.string("cache.min-free") {
            guard let bytes = ConfigValues.parseByteCount(text) else { throw ConfigurationError("cache.min-free: \"\(text)\" is not a size like 1GiB") }
            minimumFree = bytes
        }

        let zoneName = values.string("billing.time-zone", default: "UTC")
        guard let timeZone = TimeZone(identifier: zoneName) else {
            throw ConfigurationError("billing.time-zone: \"\(zoneName)\" is not a time zone (e.g. UTC, Asia/Shanghai)")
        }
        let flushInterval = try values.duration("usage.flush-interval", default: .seconds(5))
        guard flushInterval >= .seconds(1), flushInterval <= .seconds(300) else {
            throw ConfigurationError("usage.flush-interval: must be between 1s and 5m")
        }

        return FerryConfiguration(
            gateway: GatewayConfiguration(
                host: host, port: port, publicURL: publicURL,
                tokenService: values.string("token.service"),
                mirrorDomain: values.string("mirror-domain"),
                trustedProxies: try (values.list("trusted-proxies") ?? []).map { text throws(ConfigurationError) in
                    guard let network = IPNetwork(text) else { throw ConfigurationError("trusted-proxies: \"\(text)\" is not an address or CIDR network") }
                    return network
                }
            ),
            tlsFiles: tlsFiles,
            accessMode: accessMode,
            database: database,
            migrationsDirectory: values.string("migrations-dir") ?? Self.defaultMigrationsDirectory(),
            tokenIssuer: values.string("token.issuer", default: "ferry"),
            tokenLifetime: Int(tokenLifetime.components.seconds),
            signingKeyFiles: signingKeyFiles,
            billingEnabled: try values.bool("billing.enabled", default: true),
            billingTimeZone: timeZone,
            graceDays: try values.int("billing.grace-days", default: 3, range: 0...60),
            usageFlushInterval: flushInterval,
            shutdownGracePeriod: try values.duration("shutdown.grace-period", default: .seconds(30)),
            dataDirectory: dataDirectory,
            cacheBudget: cacheBudget,
            cacheLowWater: Double(lowWater) / 100,
            cacheMinimumFree: minimumFree,
            domain: domain,
            tagRevalidation: try values.duration("cache.tag-revalidation", default: .seconds(300)),
            connectTimeout: try values.duration("upstream-timeout.connect", default: .seconds(10)),
            responseTimeout: try values.duration("upstream-timeout.response", default: .seconds(30)),
            readTimeout: try values.duration("upstream-timeout.read", default: .seconds(60)),
            upstreams: upstreams,
            defaultUpstream: defaultUpstream,
            logLevel: logLevel,
            logFormat: logFormat
        )
    }

    /// One upstream: built-in defaults for the five public registries, overridable key by key.
    private static func upstream(_ id: String, values: ConfigValues, domain: String?) throws(ConfigurationError) -> UpstreamConfiguration {
        guard id.range(of: "^[a-z0-9][a-z0-9-]{0,31}$", options: .regularExpression) != nil else {
            throw ConfigurationError("upstreams: \"\(id)\" is not a valid id (lowercase letters, digits, dashes)")
        }
        let key = "upstream.\(id)"
        let builtIn = DefaultUpstreams.all.first { $0.id == id }
        guard let registry = values.string("\(key).registry") ?? builtIn?.registry else {
            throw ConfigurationError("\(key).registry: required for an upstream that is not built in")
        }
        guard let url = try values.url("\(key).url", default: builtIn?.url) else {
            throw ConfigurationError("\(key).url: required for an upstream that is not built in")
        }
        let hosts = values.list("\(key).hosts") ?? domain.map { ["\(id).\($0)"] } ?? []
        var credentials: UpstreamConfiguration.Credentials?
        if let username = values.string("\(key).username") {
            guard let password = try values.secret("\(key).password") else {
                throw ConfigurationError("\(key).password: required when \(key).username is set")
            }
            credentials = .init(username: username, password: password)
        }
        return UpstreamConfiguration(
            id: id,
            registry: registry.lowercased(),
            aliases: values.list("\(key).aliases") ?? builtIn?.aliases ?? [],
            url: url,
            hosts: hosts.map { $0.lowercased() },
            usesLibraryNamespace: try values.bool("\(key).library", default: builtIn?.library ?? false),
            credentials: credentials,
            trustedRealmHosts: (builtIn?.trustedRealms ?? []) + (values.list("\(key).trusted-realms") ?? [])
        )
    }

    private static func checkUnique(_ upstreams: [UpstreamConfiguration]) throws(ConfigurationError) {
        var registries: [String: String] = [:]
        var hosts: [String: String] = [:]
        for upstream in upstreams {
            for name in upstream.registryNames {
                if let other = registries.updateValue(upstream.id, forKey: name), other != upstream.id {
                    throw ConfigurationError("upstream.\(upstream.id): registry name \(name) is also used by upstream \(other)")
                }
            }
            for host in upstream.hosts {
                if let other = hosts.updateValue(upstream.id, forKey: host), other != upstream.id {
                    throw ConfigurationError("upstream.\(upstream.id).hosts: \(host) is also used by upstream \(other)")
                }
            }
        }
    }

    /// `./migrations`, else the folder shipped next to the binary (`../share/ferry/migrations`)
    /// or in the source tree the binary was built in (`.build/<config>/ferry`).
    static func defaultMigrationsDirectory() -> String {
        let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            FileManager.default.currentDirectoryPath + "/migrations",
            executable.appendingPathComponent("../share/ferry/migrations").standardized.path,
            executable.appendingPathComponent("../../migrations").standardized.path,
            executable.appendingPathComponent("../../../migrations").standardized.path,
        ]
        return candidates.first { FileManager.default.fileExists(atPath: $0) } ?? candidates[0]
    }

    /// Logs the effective configuration; credentials appear as `user:<redacted>`.
    func log(to logger: Logger) {
        logger.info("configuration", metadata: [
            "listen": "\(gateway.host):\(gateway.port)\(tlsFiles == nil ? "" : " (TLS, HTTP/2)")",
            "public-url": "\(gateway.publicURL.absoluteString)",
            "domain": "\(domain ?? "-")",
            "access-mode": "\(accessMode.rawValue)",
            "database": "\(database?.redacted ?? "-")",
            "token-service": "\(gateway.tokenService)",
            "mirror-domain": "\(gateway.mirrorDomain ?? "-")",
            "billing": "\(billingEnabled ? "on, \(billingTimeZone.identifier), \(graceDays) grace days, flush every \(usageFlushInterval)" : "off")",
            "data-dir": "\(dataDirectory)",
            "cache-budget": "\(cacheBudget.map { "\($0)" } ?? "unlimited")",
            "tag-revalidation": "\(tagRevalidation)",
            "timeouts": "connect \(connectTimeout), response \(responseTimeout), read \(readTimeout)",
            "default-upstream": "\(defaultUpstream)",
        ])
        for upstream in upstreams {
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

/// How log lines are written.
enum LogFormat: String, Sendable {
    case text
    case json
}

/// How large the blob cache may grow.
enum CacheBudget: Sendable, CustomStringConvertible {
    case bytes(Int64)
    case percentOfDisk(Double)

    /// The budget in bytes for a cache in `directory`.
    func bytes(for directory: String) throws(ConfigurationError) -> Int64 {
        switch self {
        case .bytes(let bytes): return bytes
        case .percentOfDisk(let percent):
            var info = statvfs()
            guard statvfs(directory, &info) == 0 else { throw ConfigurationError("cache.max-size: cannot read the size of the disk holding \(directory)") }
            return Int64(Double(UInt64(info.f_blocks) * UInt64(info.f_frsize)) * percent / 100)
        }
    }

    var description: String {
        switch self {
        case .bytes(let bytes): "\(bytes) bytes"
        case .percentOfDisk(let percent): "\(percent)% of the disk"
        }
    }
}

/// The five public registries Ferry mirrors out of the box.
enum DefaultUpstreams {
    struct Entry {
        let id: String
        let registry: String
        let aliases: [String]
        let url: String
        let library: Bool
        /// Token realms on other hosts that may receive this upstream's credentials.
        var trustedRealms: [String] = []
    }

    static let all = [
        Entry(id: "docker", registry: "docker.io", aliases: ["registry-1.docker.io", "index.docker.io", "registry.hub.docker.com"], url: "https://registry-1.docker.io", library: true, trustedRealms: ["auth.docker.io"]),
        Entry(id: "gcr", registry: "gcr.io", aliases: [], url: "https://gcr.io", library: false),
        Entry(id: "k8s", registry: "registry.k8s.io", aliases: ["k8s.gcr.io"], url: "https://registry.k8s.io", library: false),
        Entry(id: "quay", registry: "quay.io", aliases: [], url: "https://quay.io", library: false),
        Entry(id: "ghcr", registry: "ghcr.io", aliases: [], url: "https://ghcr.io", library: false),
    ]
}
