import FerryServer
import Foundation
import Testing

@Suite struct FerryConfigurationTests {
    func load(flags: [String: String] = [:], environment: [String: String] = [:], file: String? = nil) async throws -> FerryConfiguration {
        var path: String?
        if let file {
            path = NSTemporaryDirectory() + "ferry-config-\(UUID().uuidString).json"
            try file.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        let environment = ["FERRY_DATABASE_URL": "postgres://ferry:pw@db.internal:5433/ferry?sslmode=disable"].merging(environment) { $1 }
        return try await FerryConfiguration.load(flags: flags, environment: environment, configFile: path).configuration
    }

    func loadError(flags: [String: String] = [:], environment: [String: String] = [:], file: String? = nil) async -> String? {
        do {
            _ = try await load(flags: flags, environment: environment, file: file)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func defaultsServeTheFivePublicRegistries() async throws {
        let configuration = try await load()
        #expect(configuration.gateway.host == "127.0.0.1")
        #expect(configuration.gateway.port == 5000)
        #expect(configuration.gateway.publicURL.absoluteString == "http://127.0.0.1:5000")
        #expect(configuration.upstreams.upstreams.map(\.id) == ["docker", "gcr", "k8s", "quay", "ghcr"])
        #expect(configuration.upstreams.defaultUpstream == "docker")
        let docker = try #require(configuration.upstreams.upstreams.first)
        #expect(docker.url.absoluteString == "https://registry-1.docker.io")
        #expect(docker.usesLibraryNamespace)
        #expect(docker.registryNames.contains("index.docker.io"))
        #expect(configuration.upstreams.upstreams[2].registryNames == ["registry.k8s.io", "k8s.gcr.io"])
        #expect(configuration.cache.tagRevalidation == .seconds(300))
    }

    @Test func flagsBeatEnvironmentWhichBeatsTheFile() async throws {
        let file = #"{"listen": {"port": 7000, "host": "0.0.0.0"}, "data-dir": "/from-file", "log": {"level": "debug"}}"#
        let fromFile = try await load(file: file)
        #expect(fromFile.gateway.port == 7000)
        #expect(fromFile.cache.dataDirectory == "/from-file")
        let fromEnvironment = try await load(environment: ["FERRY_LISTEN_PORT": "7001"], file: file)
        #expect(fromEnvironment.gateway.port == 7001)
        #expect(fromEnvironment.gateway.host == "0.0.0.0")
        let fromFlags = try await load(flags: ["listen.port": "7002"], environment: ["FERRY_LISTEN_PORT": "7001"], file: file)
        #expect(fromFlags.gateway.port == 7002)
        #expect(fromFlags.log.level == .debug)
    }

    @Test func domainGivesEachUpstreamAHostName() async throws {
        let configuration = try await load(flags: ["domain": "Mirror.Example.com"])
        #expect(configuration.upstreams.upstreams.first { $0.id == "quay" }?.hosts == ["quay.mirror.example.com"])
        #expect(configuration.upstreams.upstreams.first { $0.id == "k8s" }?.hosts == ["k8s.mirror.example.com"])
    }

    @Test func customUpstreamsFromFileAndEnvironment() async throws {
        let secret = NSTemporaryDirectory() + "ferry-secret-\(UUID().uuidString)"
        try "hunter2\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let file = """
        {"upstreams": ["internal", "docker"], "default-upstream": "internal",
         "upstream": {"internal": {"registry": "Registry.Internal", "url": "https://registry.internal:5000",
                                   "hosts": ["internal.mirror.test"], "username": "robot", "password-file": "\(secret)"}}}
        """
        let configuration = try await load(environment: ["FERRY_UPSTREAM_INTERNAL_ALIASES": "reg.internal, other.internal"], file: file)
        let custom = try #require(configuration.upstreams.upstreams.first)
        #expect(custom.registry == "registry.internal")
        #expect(custom.aliases == ["reg.internal", "other.internal"])
        #expect(custom.credentials?.password == "hunter2")
        #expect(custom.credentials?.description == "robot:<redacted>")
        #expect(configuration.upstreams.defaultUpstream == "internal")
    }

    @Test(arguments: [
        (["listen.port": "abc"], "listen.port"),
        (["listen.port": "70000"], "listen.port"),
        (["access-mode": "everyone"], "access-mode"),
        (["log.level": "loud"], "log.level"),
        (["public-url": "ftp://x"], "public-url"),
    ])
    func badFlagsNameTheKey(flags: [String: String], key: String) async throws {
        let message = try #require(await loadError(flags: flags))
        #expect(message.hasPrefix(key), "\(message)")
    }

    @Test func badUpstreamTablesAreRefused() async throws {
        #expect(await loadError(environment: ["FERRY_UPSTREAMS": "mystery"])?.contains("upstream.mystery.registry") == true)
        #expect(await loadError(environment: ["FERRY_UPSTREAMS": "Bad_Id"])?.contains("not a valid id") == true)
        #expect(await loadError(environment: ["FERRY_DEFAULT_UPSTREAM": "nowhere"])?.contains("default-upstream") == true)
        #expect(await loadError(environment: ["FERRY_UPSTREAM_QUAY_ALIASES": "docker.io"])?.contains("also used by") == true)
        #expect(await loadError(environment: ["FERRY_UPSTREAM_QUAY_USERNAME": "u"])?.contains("password") == true)
        #expect(await loadError(environment: ["FERRY_UPSTREAM_QUAY_USERNAME": "u", "FERRY_UPSTREAM_QUAY_PASSWORD_FILE": "/nonexistent"])?.contains("cannot read") == true)
        #expect(await loadError(environment: ["FERRY_CACHE_TAG_REVALIDATION": "soon"])?.contains("cache.tag-revalidation") == true)
    }

    @Test func missingOrBrokenConfigFileIsAnError() async throws {
        do {
            _ = try await ConfigSources.load(flags: [:], environment: [:], configFile: "/nonexistent/ferry.json")
            Issue.record("a missing config file was accepted")
        } catch {
            #expect("\(error)".contains("no such file"))
        }
        #expect(await loadError(file: "{not json")?.contains("config file") == true)
    }

    @Test func databaseAndAccessMode() async throws {
        let configuration = try await load()
        #expect(configuration.accessMode == .subscribers)
        #expect(configuration.database.settings?.redacted == "postgres://ferry:<redacted>@db.internal:5433/ferry")
        #expect(configuration.gateway.tokenService == "127.0.0.1:5000")
        #expect(configuration.gateway.realm == "http://127.0.0.1:5000/token")
        let open = try await load(flags: ["access-mode": "open"], environment: ["FERRY_DATABASE_URL": ""])
        #expect(open.accessMode == .open && open.database.settings == nil)
        #expect(await loadError(environment: ["FERRY_DATABASE_URL": ""])?.hasPrefix("database.url: required") == true)
        #expect(await loadError(environment: ["FERRY_DATABASE_URL": "mysql://x"])?.hasPrefix("database.url") == true)
        #expect(await loadError(environment: ["FERRY_DATABASE_URL": "postgres://h/db?sslmode=sometimes"])?.contains("sslmode") == true)
        let custom = try await load(flags: ["public-url": "https://mirror.example.com"], environment: ["FERRY_TOKEN_LIFETIME": "10m", "FERRY_MIRROR_DOMAIN": "Mirror.Example.com"])
        #expect(custom.gateway.tokenService == "mirror.example.com")
        #expect(custom.gateway.realm == "https://mirror.example.com/token")
        #expect(custom.gateway.mirrorDomain == "mirror.example.com")
        #expect(custom.token.lifetime == 600)
        #expect(await loadError(environment: ["FERRY_TOKEN_LIFETIME": "5s"])?.hasPrefix("token.lifetime") == true)
        #expect(await loadError(environment: ["FERRY_TOKEN_KEY_FILE": "/k.pem"])?.hasPrefix("token.certificate-file") == true)
    }

    @Test func sizes() {
        #expect(ConfigValues.parseByteCount("50GiB") == 50 << 30)
        #expect(ConfigValues.parseByteCount("1.5MiB") == 1_572_864)
        #expect(ConfigValues.parseByteCount("500MB") == 500_000_000)
        #expect(ConfigValues.parseByteCount("1024") == 1024)
        #expect(ConfigValues.parseByteCount("lots") == nil)
    }

    /// Review L9: sizes that overflow 63 bits, or are not numbers at all, are refused
    /// instead of trapping in the conversion.
    @Test func sizesThatDoNotFitAreRefused() {
        for text in ["1e30GiB", "infGiB", "nanGiB", "-nanGiB", "infinityB", "8388608TiB", "9223372036854775808", "9223372036854775807KiB", "1e19B"] {
            #expect(ConfigValues.parseByteCount(text) == nil, "\(text)")
        }
        #expect(ConfigValues.parseByteCount("9223372036854775807B") == Int64.max)
        #expect(ConfigValues.parseByteCount("8388607TiB") == 8_388_607 << 40)
        #expect(ConfigValues.parseByteCount("0.5KiB") == 512)
    }

    @Test func durations() {
        #expect(ConfigValues.parseDuration("90") == .seconds(90))
        #expect(ConfigValues.parseDuration("5m") == .seconds(300))
        #expect(ConfigValues.parseDuration("2h") == .seconds(7200))
        #expect(ConfigValues.parseDuration("1d") == .seconds(86400))
        #expect(ConfigValues.parseDuration("-1s") == nil)
        #expect(ConfigValues.parseDuration("1w") == nil)
    }

    /// Issue 19: the shared store's keys, checked as a whole at start-up.
    @Test func sharedStoreSettings() async throws {
        let s3 = [
            "FERRY_DATABASE_URL": "postgres://h/db", "FERRY_STORAGE_BACKEND": "s3", "FERRY_STORAGE_S3_ENDPOINT": "http://127.0.0.1:7480",
            "FERRY_STORAGE_S3_BUCKET": "layers", "FERRY_STORAGE_S3_ACCESS_KEY": "AK", "FERRY_STORAGE_S3_SECRET_KEY": "SK",
        ]
        let storage = try await load(environment: s3.merging(["FERRY_STORAGE_S3_REDIRECT": "full-body", "FERRY_STORAGE_S3_PREFIX": "eu/"]) { $1 }).storage
        let settings = try #require(storage.s3)
        #expect(settings.bucket == "layers" && settings.prefix == "eu/" && settings.region == "us-east-1" && settings.pathStyle)
        #expect(settings.partSize == 16 << 20 && settings.redirect == .fullBody && settings.redirectLifetime == .seconds(60))
        #expect(try await load().storage.s3 == nil)
        #expect(await loadError(environment: s3.filter { $0.key != "FERRY_STORAGE_S3_BUCKET" }) == "storage.s3.bucket: required with storage.backend s3")
        await #expect(throws: ConfigurationError("database.url: required for storage.backend s3 (the bucket's contents are recorded there)")) {
            try await FerryConfiguration.load(environment: s3.filter { $0.key != "FERRY_DATABASE_URL" }.merging(["FERRY_ACCESS_MODE": "open"]) { $1 })
        }
        #expect(await loadError(environment: s3.merging(["FERRY_STORAGE_S3_REDIRECT_LIFETIME": "5m"]) { $1 })?.hasPrefix("storage.s3.redirect-lifetime") == true)
        #expect(await loadError(environment: s3.merging(["FERRY_STORAGE_S3_PART_SIZE": "1MiB"]) { $1 }) == "storage.s3.part-size: must be between 5MiB and 5GiB")
        #expect(await loadError(environment: s3.merging(["FERRY_STORAGE_BACKEND": "gcs"]) { $1 })?.hasPrefix("storage.backend") == true)
        // The secret never shows when the settings are printed.
        #expect(!"\(settings)".contains("SK") && "\(settings)".contains("layers"))
    }

    /// Issue 15: a key Ferry does not read is reported by name, not silently ignored
    /// (a whole `storage:` block used to be accepted and dropped).
    @Test func unknownKeysAreReportedByName() async throws {
        let message = try #require(await loadError(file: #"{"storage": {"flavour": "s3"}, "cache": {"max-sise": "10GiB"}}"#))
        #expect(message.hasPrefix("cache.max-sise: not a Ferry setting"), "\(message)")
        #expect(message.contains("storage.flavour"), "\(message)")
        let (_, unknown) = try await FerryConfiguration.load(
            environment: ["FERRY_DATABASE_URL": "postgres://h/db", "FERRY_STORAGE_FLAVOUR": "s3", "FERRY_LISTEN_PORT": "7000", "FERRY_CONFIG": "/x"]
        )
        #expect(unknown == ["FERRY_STORAGE_FLAVOUR"])
        // Every key of the shipped example is one Ferry reads.
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../deploy/ferry.example.json").standardized.path
        let secret = NSTemporaryDirectory() + "ferry-secret-\(UUID().uuidString)"
        try "token\n".write(toFile: secret, atomically: true, encoding: .utf8)
        let text = try String(contentsOfFile: example, encoding: .utf8).replacingOccurrences(of: "/run/secrets/dockerhub-token", with: secret)
        #expect(await loadError(file: text) == nil)
    }

    /// Review H3: every part reads its keys through one initializer, with one set of
    /// rules; the CLI uses the same ones (`cache gc` used to read `cache.max-size`
    /// leniently, turning a typo into a budget of 0 bytes).
    @Test func partsReadTheirOwnScope() async throws {
        let values = try await ConfigSources.load(flags: ["cache.max-size": "10GiB", "cache.low-water": "50"], environment: [:], configFile: nil).values
        let cache = try CacheConfiguration(reader: values)
        #expect(try cache.budgetBytes() == 10 << 30 && cache.lowWater == 0.5)
        #expect(try cache.lowWaterBytes() == 5 << 30)
        let broken = try await ConfigSources.load(flags: ["cache.max-size": "10 gigs"], environment: [:], configFile: nil).values
        #expect(throws: ConfigurationError.self) { try CacheConfiguration(reader: broken) }
        let billing = try await ConfigSources.load(flags: ["billing.time-zone": "Mars/Olympus"], environment: [:], configFile: nil).values
        #expect(throws: ConfigurationError("billing.time-zone: \"Mars/Olympus\" is not a time zone (e.g. UTC, Asia/Shanghai)")) { try BillingConfiguration(reader: billing) }
    }
}
