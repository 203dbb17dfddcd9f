import Accounts
import Billing
import Cache
import Foundation
import Gateway
import Logging
import Prometheus
import ServiceLifecycle

/// Where billing reads standings and writes usage: PostgreSQL in the server, anything
/// conforming in tests.
public struct BillingBackend: Sendable {
    public var standings: any StandingSource
    public var limitStates: any LimitStateStore
    public var usage: any UsageSink
    /// Plans, subscriptions and payments, when the backend keeps them.
    public var service: BillingService?

    /// Creates a backend.
    public init(standings: any StandingSource, limitStates: any LimitStateStore = InMemoryLimitStateStore(), usage: any UsageSink, service: BillingService? = nil) {
        self.standings = standings
        self.limitStates = limitStates
        self.usage = usage
        self.service = service
    }
}

/// The subscriber-facing parts (accounts and tokens, plan enforcement, the portal's
/// storage), made the same way over PostgreSQL and in memory.
struct Subscribers: Sendable {
    let access: SubscriberAccess
    let billing: GatewayBilling?
    let billingService: BillingService?
    let portal: PortalStorage?

    init(
        _ configuration: FerryConfiguration, users: any UserRepository, accounts: AccountService, hasher: Argon2PasswordHasher,
        throttle: LoginThrottle = LoginThrottle(), billing backend: BillingBackend?, portal: PortalStorage?, logger: Logger, now: @escaping @Sendable () -> Date
    ) throws {
        let tokens = RegistryTokenService(
            issuer: configuration.token.issuer, service: configuration.gateway.tokenService, lifetime: configuration.token.lifetime,
            reloadInterval: configuration.token.keyReloadInterval
        )
        let authenticator = try Authenticator(users: users, hasher: hasher, throttle: throttle, busyDelay: configuration.login.busyDelay, logger: logger, now: now)
        access = SubscriberAccess(
            tokens: tokens, authenticator: authenticator, accounts: accounts, users: users, statusLifetime: configuration.token.recheckInterval, now: now
        )
        if let backend {
            let calendar = BillingCalendar(timeZone: configuration.billing.timeZone)
            let meter = UsageMeter(sink: backend.usage, calendar: calendar, logger: logger, now: now)
            let limits = SubscriberLimits(
                source: backend.standings, states: backend.limitStates, meter: meter, calendar: calendar, graceDays: configuration.billing.graceDays,
                standingLifetime: configuration.token.recheckInterval, now: now
            )
            billing = GatewayBilling(limits: limits, meter: meter, flushInterval: configuration.billing.flushInterval)
            billingService = backend.service
        } else {
            billing = nil
            billingService = nil
        }
        self.portal = portal
    }
}

extension Dependencies {
    /// The dependencies around a cache and (in `subscribers` mode) the subscriber parts,
    /// with metrics on `registry` whose gauges are refreshed at each scrape.
    init(
        now: @escaping @Sendable () -> Date, registry: PrometheusCollectorRegistry, directory: UpstreamDirectory, cache: MirrorCache,
        subscribers: Subscribers?, payments: (inbox: PaymentInbox, checkout: PaymentCheckout)? = nil, tls: TLSCertificates?,
        readiness: @escaping @Sendable () async -> [String], services: [any Service], beforeServerStarts: [@Sendable () async throws -> Void] = [],
        blobRedirect: BlobRedirector? = nil
    ) {
        self.init(
            now: now, metrics: FerryMetrics.refreshed(registry: registry, cache: cache, meter: subscribers?.billing?.meter, now: now), directory: directory,
            cache: cache, access: subscribers?.access, billing: subscribers?.billing, billingService: subscribers?.billingService,
            portal: subscribers?.portal, paymentInbox: payments?.inbox, checkout: payments?.checkout, tls: tls, readiness: readiness, services: services,
            beforeServerStarts: beforeServerStarts, blobRedirect: blobRedirect
        )
    }
}
