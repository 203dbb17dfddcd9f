import Accounts
import Billing
import Cache
import Foundation
import Gateway
import Logging
import Prometheus
import ServiceLifecycle

extension Dependencies {
    /// What tests run with: the given upstreams, accounts and audit log in memory, the
    /// cache in the configured data directory (without its lock, so tests may share a
    /// process), billing over `billing` when given, one signing key, and `now` as the
    /// clock of every part. The same parts as `live`, wired the same way.
    public static func inMemory(
        _ configuration: FerryConfiguration,
        upstreams: [any Upstream],
        users: InMemoryUserRepository = InMemoryUserRepository(),
        audit: InMemoryAuditLog = InMemoryAuditLog(),
        hasher: Argon2PasswordHasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1)),
        throttle: LoginThrottle = LoginThrottle(),
        billing: BillingBackend? = nil,
        now: @escaping @Sendable () -> Date = Date.init,
        logger: Logger
    ) async throws -> Dependencies {
        let registry = PrometheusCollectorRegistry()
        let directory = try UpstreamDirectory(upstreams: upstreams, configuration)
        var subscribers: Subscribers?
        if configuration.accessMode == .subscribers {
            let accounts = AccountService(users: users, hasher: hasher, now: now)
            subscribers = try Subscribers(
                configuration, users: users, accounts: accounts, hasher: hasher, throttle: throttle, billing: billing,
                portal: PortalStorage(sessions: PortalSessions(users: users, now: now), audit: audit), logger: logger, now: now
            )
            try await subscribers?.access.tokens.replaceKeys([try SigningKey.generate(now: now())])
        }
        let meter = subscribers?.billing?.meter
        let cache = try MirrorCache.open(
            configuration.cache.layout,
            settings: .init(
                budget: try configuration.cache.budgetBytes(), lowWaterFraction: configuration.cache.lowWater,
                tagRevalidation: TimeInterval(configuration.cache.tagRevalidation.components.seconds), exclusive: false
            ),
            observers: .init(
                fetched: { upstream, bytes in meter?.recordUpstreamBytes(upstream: upstream, bytes: bytes) }, evicted: FerryMetrics(registry: registry).evicted
            ),
            logger: logger, now: now
        )
        var services: [any Service] = [cache.indexService(logger: logger)]
        if let billing = subscribers?.billing {
            services.append(UsageFlushService(meter: billing.meter, limits: billing.limits, interval: billing.flushInterval, logger: logger))
        }
        services.append(cache.downloadService)
        let layout = cache.layout
        return Dependencies(
            now: now,
            metrics: FerryMetrics.refreshed(registry: registry, cache: cache, meter: meter, now: now),
            directory: directory, cache: cache, access: subscribers?.access, billing: subscribers?.billing, billingService: subscribers?.billingService,
            portal: subscribers?.portal, tls: nil,
            readiness: { GatewayOperations.isWritable(layout.temporary) ? [] : ["cache directory \(layout.root) is not writable"] },
            services: services, beforeServerStarts: []
        )
    }
}
