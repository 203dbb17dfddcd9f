import Accounts
import Billing
import Cache
import Foundation
import Gateway
import Logging
import OCI
import PostgresNIO
import Prometheus
import ServiceLifecycle

extension Dependencies {
    /// What `ferry serve` runs with: the configured upstreams over two HTTP clients, the
    /// cache on disk (holding the data directory's lock), and in `subscribers` mode
    /// PostgreSQL (migrated and its signing keys loaded before the listener opens),
    /// accounts, billing and the portal. Everything with a lifetime runs as a service.
    public static func live(_ configuration: FerryConfiguration, logger: Logger) async throws -> Dependencies {
        let now: @Sendable () -> Date = Date.init
        let registry = PrometheusCollectorRegistry()
        let observed = FerryMetrics(registry: registry)
        let upstreams = configuration.upstreams
        let httpClient = HTTPClientService(client: HTTPClientService.upstreamClient(connectTimeout: upstreams.connectTimeout, readTimeout: upstreams.readTimeout))
        let blobClient = HTTPClientService(client: HTTPClientService.upstreamClient(connectTimeout: upstreams.connectTimeout, readTimeout: upstreams.readTimeout))
        var bucket: SharedBucket?
        // The clients must be shut down before they go: on any failure below too.
        do {
            let registries: [any Upstream] = upstreams.upstreams.map { upstream in
                RegistryUpstream(
                    configuration: upstream, client: httpClient.client, blobClient: blobClient.client, responseTimeout: upstreams.responseTimeout, logger: logger,
                    observe: { method, status, duration in
                        observed.upstreamRequest(upstream: upstream.registry, method: method, status: status, duration: duration)
                    }
                )
            }
            let directory = try UpstreamDirectory(upstreams: registries, configuration)

            var database: (client: PostgresClient, services: DatabaseServices, hasher: Argon2PasswordHasher)?
            var subscribers: Subscribers?
            if configuration.accessMode == .subscribers || configuration.storage.backend == .s3 {
                let settings = try configuration.database.required(by: configuration.accessMode == .subscribers ? "access-mode subscribers" : "storage.backend s3")
                let client = PostgresClient(configuration: settings.configuration, backgroundLogger: quietLogger)
                // Argon2 gets threads of its own with a CPU budget and a bounded, fairly
                // shared queue: a login flood is refused with 429 rather than stalling downloads.
                let hasher = Argon2PasswordHasher(
                    pool: PasswordHashingPool(coreBudget: configuration.login.passwordCheckCores, maximumQueued: configuration.login.passwordCheckQueue)
                )
                let services = DatabaseServices(client: client, settings: configuration.billing.settings, hasher: hasher, logger: logger, now: now)
                database = (client, services, hasher)
                if let s3 = configuration.storage.s3 {
                    bucket = try SharedBucket(s3, database: client, logger: logger, failed: observed.sharedStoreFailed)
                }
            }
            if configuration.accessMode == .subscribers, let (_, services, hasher) = database {
                subscribers = try Subscribers(
                    configuration, users: services.users, accounts: services.accounts, hasher: hasher,
                    billing: configuration.billing.enabled
                        ? BillingBackend(standings: services.billingStore, limitStates: services.billingStore, usage: services.billingStore, service: services.billing)
                        : nil,
                    portal: PortalStorage(sessions: PortalSessions(users: services.users, now: now), audit: services.audit), logger: logger, now: now
                )
            }

            let meter = subscribers?.billing?.meter
            let cache = try MirrorCache.open(
                configuration.cache, exclusive: true, pools: BlobIOPools.start(), shared: bucket?.storage, meter: meter, metrics: observed, logger: logger, now: now
            )
            let tls = try configuration.tls.map { try TLSCertificates(certificatePath: $0.certificate, keyPath: $0.key) }

            // Start order; they stop in reverse, after the HTTP server has drained: the
            // downloads finish, then usage is flushed a last time, then the index closes,
            // then the HTTP clients and PostgreSQL go.
            var services: [any Service] = []
            var beforeServerStarts: [@Sendable () async throws -> Void] = []
            if let (client, databaseServices, _) = database, let settings = configuration.database.settings {
                services.append(client)
                let migrations = configuration.database.migrationsDirectory
                beforeServerStarts.append {
                    try await checkReachable(client, settings: settings)
                    let applied = try await databaseServices.migrate(directory: migrations, logger: logger)
                    if !applied.isEmpty { logger.notice("database migrated", metadata: ["applied": "\(applied.joined(separator: ", "))"]) }
                }
            }
            if let databaseServices = database?.services, let subscribers {
                let tokens = subscribers.access.tokens
                let keyFiles = configuration.token.signingKeyFiles
                beforeServerStarts.append {
                    // Every command counts billing days with the server's settings (billing review B4).
                    let settings = configuration.billing.settings
                    if let replaced = try await databaseServices.storeBillingSettings(settings, by: "ferry serve", logger: logger) {
                        logger.notice("billing settings changed", metadata: [
                            "time-zone": "\(replaced.timeZone.identifier) -> \(settings.timeZone.identifier)", "grace-days": "\(replaced.graceDays) -> \(settings.graceDays)",
                        ])
                    }
                    if let keyFiles {
                        try await tokens.replaceKeys([try keyFiles.load()])
                    } else {
                        try await tokens.replaceKeys(try await databaseServices.signingKeys.keysCreatingFirst(now: now()))
                    }
                    logger.info("token signing key", metadata: ["kid": "\(tokens.activeKey(at: now())?.keyID ?? "-")", "service": "\(configuration.gateway.tokenService)"])
                }
            }
            services += [httpClient, blobClient]
            if let bucket {
                services.append(bucket.httpClient)
                services.append(
                    SharedStorageService(
                        bucket: bucket, budget: configuration.cache.sharedBudget, lowWaterFraction: configuration.cache.lowWater, logger: logger, now: now
                    )
                )
            }
            services += cacheServices(cache, billing: subscribers?.billing, logger: logger)
            if let databaseServices = database?.services, let subscribers, configuration.token.signingKeyFiles == nil {
                services.append(SigningKeyRefreshService(tokens: subscribers.access.tokens, repository: databaseServices.signingKeys, logger: logger, now: now))
            }
            if let tls { services.append(TLSReloadService(certificates: tls, logger: logger)) }
            services.append(
                try buildAdminApplication(
                    socketPath: cache.layout.adminSocket,
                    controller: CacheAdminController(maintenance: cache.maintenance, defaultTarget: cache.evictor?.lowWater),
                    logger: logger
                )
            )

            var payments: (inbox: PaymentInbox, checkout: PaymentCheckout)?
            if let billingService = subscribers?.billingService, configuration.payments.isEnabled {
                let checkout = configuration.payments.checkout
                payments = (PaymentInbox(service: billingService, alipay: checkout.alipay, stripeSecrets: configuration.payments.stripeSecrets), checkout)
            }
            let client = database?.client
            let layout = cache.layout
            return Dependencies(
                now: now, registry: registry, directory: directory, cache: cache, subscribers: subscribers, payments: payments, tls: tls,
                readiness: {
                    let problems = if let client { await databaseProblems(client) } else { [String]() }
                    return problems + cacheProblems(layout)
                },
                services: services, beforeServerStarts: beforeServerStarts, blobRedirect: bucket?.redirector
            )
        } catch {
            try? await bucket?.httpClient.client.shutdown()
            try? await httpClient.client.shutdown()
            try? await blobClient.client.shutdown()
            throw error
        }
    }
}

extension UpstreamDirectory {
    /// The routing table of the configured upstreams.
    init(upstreams: [any Upstream], _ configuration: FerryConfiguration) throws(ConfigurationError) {
        do {
            try self.init(
                upstreams: upstreams, defaultID: configuration.upstreams.defaultUpstream,
                domains: [configuration.upstreams.domain, configuration.gateway.mirrorDomain].compactMap { $0 }
            )
        } catch {
            throw ConfigurationError("upstreams: \(error.message)")
        }
    }
}

extension FerryMetrics {
    /// Metrics whose cache and flush-lag gauges are refreshed at each scrape.
    static func refreshed(registry: PrometheusCollectorRegistry, cache: MirrorCache, meter: UsageMeter?, now: @escaping @Sendable () -> Date) -> FerryMetrics {
        FerryMetrics(registry: registry) { metrics in
            metrics.setCache(bytes: cache.inventory.totalBytes, blobs: cache.inventory.count, activeDownloads: cache.blobs.activeDownloads)
            if let meter {
                metrics.setUsageFlushes(meter.flushCount)
                if let last = meter.lastFlushTime { metrics.setUsageFlushLag(seconds: now().timeIntervalSince(last)) }
            }
        }
    }
}
