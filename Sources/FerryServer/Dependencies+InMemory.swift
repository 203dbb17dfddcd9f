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
            configuration.cache, exclusive: false, pools: .shared, meter: meter, metrics: FerryMetrics(registry: registry), logger: logger, now: now
        )
        let layout = cache.layout
        return Dependencies(
            now: now, registry: registry, directory: directory, cache: cache, subscribers: subscribers, tls: nil, readiness: { cacheProblems(layout) },
            services: cacheServices(cache, billing: subscribers?.billing, logger: logger)
        )
    }
}
