import Accounts
import Billing
import Cache
import Foundation
import Gateway
import Logging
import Portal
import ServiceLifecycle

/// Everything the application is built from, made once by `Dependencies.live` (the
/// server: PostgreSQL, the real upstreams, the cache on disk) or `Dependencies.inMemory`
/// (tests: in-memory accounts and audit log, the given upstreams, a temporary cache),
/// and handed to `buildApplication`. Tests reach the parts they set up (accounts,
/// billing, the meter) through the same values the application serves with.
public struct Dependencies: Sendable {
    /// The one clock every part reads the time from.
    public let now: @Sendable () -> Date
    public let metrics: FerryMetrics
    /// Which upstream serves which repository.
    public let directory: UpstreamDirectory
    /// The local cache and its background services.
    public let cache: MirrorCache
    /// Subscriber accounts, tokens and credential checks; nil in `open` mode.
    public let access: SubscriberAccess?
    /// Plan enforcement and metering; nil in `open` mode or with billing off.
    public let billing: GatewayBilling?
    /// Plans, subscriptions and payments (PostgreSQL); nil without a database.
    public let billingService: BillingService?
    /// The portal's sessions and audit log; nil serves no portal.
    public let portal: PortalStorage?
    /// The payment inbox behind `/billing/notify/<provider>`; nil without payments.
    public let paymentInbox: PaymentInbox?
    /// Where subscribers pay orders from the portal; nil without payments.
    public let checkout: PaymentCheckout?
    /// Built-in TLS; nil serves plain HTTP/1.1.
    public let tls: TLSCertificates?
    /// Sends GETs of whole blobs to the shared store (`storage.s3.redirect full-body`).
    public let blobRedirect: BlobRedirector?
    /// What `/readyz` reports as not ready (empty when ready).
    public var readiness: @Sendable () async -> [String]
    /// Services that run with the application, in start order (they stop in reverse,
    /// after the HTTP server has drained).
    public let services: [any Service]
    /// Work done before the listener opens (migrations, loading signing keys), in order.
    public let beforeServerStarts: [@Sendable () async throws -> Void]

    /// Creates the dependencies from parts (the factories below are how they are made).
    public init(
        now: @escaping @Sendable () -> Date, metrics: FerryMetrics, directory: UpstreamDirectory, cache: MirrorCache, access: SubscriberAccess?,
        billing: GatewayBilling?, billingService: BillingService?, portal: PortalStorage?, paymentInbox: PaymentInbox? = nil, checkout: PaymentCheckout? = nil,
        tls: TLSCertificates?, readiness: @escaping @Sendable () async -> [String], services: [any Service], beforeServerStarts: [@Sendable () async throws -> Void],
        blobRedirect: BlobRedirector? = nil
    ) {
        self.blobRedirect = blobRedirect
        self.now = now
        self.metrics = metrics
        self.directory = directory
        self.cache = cache
        self.access = access
        self.billing = billing
        self.billingService = billingService
        self.portal = portal
        self.paymentInbox = paymentInbox
        self.checkout = checkout
        self.tls = tls
        self.readiness = readiness
        self.services = services
        self.beforeServerStarts = beforeServerStarts
    }
}

/// Where the portal keeps sessions and its audit log.
public struct PortalStorage: Sendable {
    public let sessions: PortalSessions
    public let audit: any AuditLog

    /// Creates the storage.
    public init(sessions: PortalSessions, audit: any AuditLog) {
        self.sessions = sessions
        self.audit = audit
    }
}
