import ArgumentParser
import Accounts
import AsyncHTTPClient
import Billing
import CMalloc
import Cache
import Foundation
import Gateway
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import ServiceLifecycle

/// `ferry serve`: runs the mirror until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the mirror.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        Self.boundHeapGrowth()
        let configuration = try FerryConfiguration.load(from: try await options.values())
        LoggingSystem.bootstrap { label in
            switch configuration.logFormat {
            case .json:
                var handler = JSONLogHandler(label: label)
                handler.logLevel = configuration.logLevel
                return handler
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = configuration.logLevel
                return handler
            }
        }
        let logger = Logger(label: "ferry")
        configuration.log(to: logger)

        // The cache's file I/O runs on pools of its own (reads and writes; fsync), which
        // live as long as the process.
        let pools = BlobIOPools.start()
        let blobStore: FileSystemBlobStore
        let manifestStore: FileSystemManifestStore
        let inventory: CacheInventory
        try? FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        guard let dataLock = try DataDirectoryLock.acquire(dataDirectory: configuration.dataDirectory) else {
            throw ConfigurationError("data-dir \(configuration.dataDirectory) is in use by another ferry serve")
        }
        do {
            blobStore = try FileSystemBlobStore(root: configuration.dataDirectory, reserve: configuration.cacheMinimumFree, pools: pools)
            // Opening the index reads no more than its totals, however large the cache:
            // the listener opens at once, and a crash is reconciled in the background.
            inventory = try CacheInventory.open(root: configuration.dataDirectory, logger: logger)
            manifestStore = try FileSystemManifestStore(root: configuration.dataDirectory, inventory: inventory)
            let removed = try blobStore.removeTemporaryFiles()
            if removed > 0 { logger.notice("removed leftover temporary files", metadata: ["count": "\(removed)"]) }
        } catch {
            throw ConfigurationError("data-dir \(configuration.dataDirectory): \(error)")
        }

        let certificates = try configuration.tlsFiles.map { try TLSCertificates(certificatePath: $0.certificate, keyPath: $0.key) }
        // Plain HTTP/1.1 sends cached blobs with sendfile(2); TLS needs the bytes in user space.
        let server: HTTPServerBuilder = try certificates.map { try .http2Upgrade(tlsConfiguration: $0.serverConfiguration()) } ?? .zeroCopyHTTP1()
        let tlsReload = certificates.map { TLSReloadService(certificates: $0, logger: logger) }
        let metrics = FerryMetrics()
        let evictor = try Self.makeEvictor(configuration, inventory: inventory, manifests: manifestStore, logger: logger, metrics: metrics)
        let maintenance = CacheMaintenance(blobs: blobStore, manifests: manifestStore, inventory: inventory, logger: logger)
        let admin = buildAdminApplication(
            socketPath: DataDirectoryLock.adminSocket(dataDirectory: configuration.dataDirectory),
            controller: CacheAdminController(maintenance: maintenance, defaultTarget: evictor?.lowWater),
            logger: logger
        )

        let httpClient = Self.makeUpstreamClient(connectTimeout: configuration.connectTimeout, readTimeout: configuration.readTimeout)
        let blobClient = Self.makeUpstreamClient(connectTimeout: configuration.connectTimeout, readTimeout: configuration.readTimeout)
        do {
            let upstreams: [any Upstream] = configuration.upstreams.map { upstream in
                RegistryUpstream(
                    configuration: upstream, client: httpClient, blobClient: blobClient, responseTimeout: configuration.responseTimeout, logger: logger,
                    observe: { method, status, duration in
                        metrics.upstreamRequest(upstream: upstream.registry, method: method, status: status, duration: duration)
                    }
                )
            }
            let dataDirectory = configuration.dataDirectory
            let directory = try UpstreamDirectory(
                upstreams: upstreams, defaultID: configuration.defaultUpstream, domains: [configuration.domain, configuration.gateway.mirrorDomain].compactMap { $0 }
            )
            let manifests = PullThroughManifestCache(
                store: manifestStore,
                revalidationInterval: TimeInterval(configuration.tagRevalidation.components.seconds),
                logger: logger
            )
            switch configuration.accessMode {
            case .open:
                logger.warning("access-mode open: anyone who can reach this listener may pull")
                let controller = RegistryController(directory: directory, manifests: manifests, blobs: PullThroughBlobCache(store: blobStore, logger: logger, inventory: inventory, evictor: evictor))
                let operations = Self.operations(metrics: metrics, blobs: controller.blobs, meter: nil, dataDirectory: dataDirectory) { [] }
                var app = buildApplication(configuration: configuration.gateway, controller: controller, access: .open, operations: operations, server: server, logger: logger)
                app.addServices(admin)
                if let tlsReload { app.addServices(tlsReload) }
                try await Self.run(app, gracePeriod: configuration.shutdownGracePeriod, logger: logger)
            case .subscribers:
                try await withDatabase(configuration.database!, logger: logger) { client in
                    let auth = try await Self.prepareAuth(configuration, client: client, logger: logger)
                    let meter = auth.gateway.billing?.meter
                    let blobs = PullThroughBlobCache(store: blobStore, logger: logger, inventory: inventory, evictor: evictor) { upstream, bytes in
                        meter?.recordUpstreamBytes(upstream: upstream, bytes: bytes)
                    }
                    let controller = RegistryController(directory: directory, manifests: manifests, blobs: blobs)
                    let operations = Self.operations(metrics: metrics, blobs: blobs, meter: meter, dataDirectory: dataDirectory) {
                        await Self.databaseProblems(client)
                    }
                    let portal = try await Self.makePortal(configuration, auth: auth.gateway, client: client, logger: logger)
                    var app = buildApplication(
                        configuration: configuration.gateway, controller: controller, access: .subscribers(auth.gateway), operations: operations,
                        portal: portal, server: server, logger: logger
                    )
                    app.addServices(admin)
                    if let refresh = auth.refresh { app.addServices(refresh) }
                    if let tlsReload { app.addServices(tlsReload) }
                    try await Self.run(app, gracePeriod: configuration.shutdownGracePeriod, logger: logger)
                }
            }
        } catch {
            try? await httpClient.shutdown()
            try? await blobClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
        try await blobClient.shutdown()
        withExtendedLifetime(dataLock) {}
    }

    /// Upstream connections per host: HTTP/1.1 upstreams (on-premises registries, S3
    /// blob storage) need one connection per concurrent download, and AsyncHTTPClient's
    /// default of 8 would queue the ninth download (and fail it after the connect timeout).
    static let upstreamConnectionsPerHost = 256

    /// An HTTP client for upstream requests (one for registry API calls, one for blob
    /// bodies, so long downloads never hold up manifests and tokens).
    static func makeUpstreamClient(connectTimeout: Duration, readTimeout: Duration) -> HTTPClient {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: upstreamConnectionsPerHost)
        pool.retryConnectionEstablishment = true
        return HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(
                redirectConfiguration: .follow(max: 5, allowCycles: false),
                timeout: .init(connect: .init(connectTimeout), read: .init(readTimeout)),
                connectionPool: pool,
                decompression: .disabled
            )
        )
    }

    /// Runs the application until SIGTERM or SIGINT; then it stops accepting connections,
    /// lets requests in flight (downloads included) finish for up to `gracePeriod`,
    /// flushes usage and returns.
    static func run(_ app: some Service, gracePeriod: Duration, logger: Logger) async throws {
        var configuration = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        configuration.maximumGracefulShutdownDuration = gracePeriod
        try await ServiceGroup(configuration: configuration).run()
    }

    /// Health, readiness and metrics, with gauges refreshed at each scrape.
    static func operations(
        metrics: FerryMetrics, blobs: PullThroughBlobCache, meter: UsageMeter?, dataDirectory: String,
        database: @escaping @Sendable () async -> [String]
    ) -> GatewayOperations {
        let refreshed = FerryMetrics(registry: metrics.registry) { metrics in
            let inventory = blobs.inventory
            metrics.setCache(bytes: inventory?.totalBytes ?? 0, blobs: inventory?.count ?? 0, activeDownloads: blobs.activeDownloads)
            if let last = meter?.lastFlushTime { metrics.setUsageFlushLag(seconds: Date().timeIntervalSince(last)) }
        }
        return GatewayOperations(metrics: refreshed) {
            var problems = await database()
            if !GatewayOperations.isWritable(dataDirectory + "/tmp") { problems.append("cache directory \(dataDirectory) is not writable") }
            return problems
        }
    }

    /// Why PostgreSQL is not usable right now (empty when it answers within 2 seconds).
    static func databaseProblems(_ client: PostgresClient) async -> [String] {
        await withTaskGroup(of: String?.self) { group in
            group.addTask {
                do {
                    try await client.query("SELECT 1")
                    return nil
                } catch {
                    return "PostgreSQL: \(error)"
                }
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(2))
                return "PostgreSQL did not answer within 2 seconds"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first.map { [$0] } ?? []
        }
    }

    /// The evictor for a configured cache budget (blobs, manifests and tag records).
    static func makeEvictor(
        _ configuration: FerryConfiguration, inventory: CacheInventory, manifests: FileSystemManifestStore, logger: Logger, metrics: FerryMetrics
    ) throws -> CacheEvictor? {
        guard let budget = configuration.cacheBudget else { return nil }
        let evictor = CacheEvictor(
            inventory: inventory, manifests: manifests, budget: try budget.bytes(for: configuration.dataDirectory), lowWaterFraction: configuration.cacheLowWater,
            logger: logger
        ) { bytes in metrics.evicted(bytes: bytes) }
        logger.info("cache budget", metadata: [
            "budget": "\(evictor.budget)", "low-water": "\(evictor.lowWater)", "cached": "\(inventory.totalBytes)", "blobs": "\(inventory.count)",
            "index": "\(inventory.needsReconciliation ? "reconciling in the background" : "up to date")",
        ])
        return evictor
    }

    /// Migrates the database, loads (or creates) the signing keys and wires the auth parts.
    static func prepareAuth(_ configuration: FerryConfiguration, client: PostgresClient, logger: Logger) async throws -> (gateway: GatewayAuth, refresh: SigningKeyRefreshService?) {
        let applied = try await SchemaMigrator(client: client, migrations: try SchemaMigrator.load(directory: configuration.migrationsDirectory), logger: logger).migrate()
        if !applied.isEmpty { logger.notice("database migrated", metadata: ["applied": "\(applied.joined(separator: ", "))"]) }

        let tokens = RegistryTokenService(issuer: configuration.tokenIssuer, service: configuration.gateway.tokenService, lifetime: configuration.tokenLifetime)
        var refresh: SigningKeyRefreshService?
        if let files = configuration.signingKeyFiles {
            try await tokens.replaceKeys([try SigningKeyFiles.load(key: files.key, certificate: files.certificate)])
        } else {
            let repository = PostgresSigningKeyRepository(client: client, logger: logger)
            try await tokens.replaceKeys(try await repository.keysCreatingFirst(now: Date()))
            refresh = SigningKeyRefreshService(tokens: tokens, repository: repository, logger: logger)
        }
        logger.info("token signing key", metadata: ["kid": "\(tokens.activeKey?.keyID ?? "-")", "service": "\(configuration.gateway.tokenService)"])

        let users = PostgresUserRepository(client: client, logger: logger)
        // Argon2 gets threads of its own (half the cores) with a bounded queue: a login
        // flood is refused with 429 rather than stalling downloads.
        let hasher = Argon2PasswordHasher(pool: PasswordHashingPool())
        let accounts = AccountService(users: users, hasher: hasher)
        let authenticator = try Authenticator(users: users, hasher: hasher, logger: logger)
        var billing: GatewayBilling?
        if configuration.billingEnabled {
            let calendar = BillingCalendar(timeZone: configuration.billingTimeZone)
            let store = PostgresBillingStore(client: client, logger: logger, calendar: calendar)
            let meter = UsageMeter(sink: store, calendar: calendar, logger: logger)
            let limits = SubscriberLimits(source: store, states: store, meter: meter, calendar: calendar, graceDays: configuration.graceDays)
            billing = GatewayBilling(limits: limits, meter: meter, flushInterval: configuration.usageFlushInterval)
        }
        return (GatewayAuth(tokens: tokens, authenticator: authenticator, accounts: accounts, billing: billing), refresh)
    }
}

extension ServeCommand {
    /// Serves blob chunks from large buffers: with glibc's default dynamic mmap
    /// threshold those come from the heap, and many parallel downloads fragment it until
    /// RSS reaches hundreds of MiB. A fixed threshold keeps them in mmap'd memory that is
    /// returned on free (measured: 8 parallel 512 MiB downloads peak at ~60 MiB instead
    /// of ~390 MiB). Read buffers are reused, so the extra mmap calls are rare.
    static func boundHeapGrowth() {
        _ = mallopt(M_MMAP_THRESHOLD, 256 * 1024)
    }
}

extension TimeAmount {
    /// Converts a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
