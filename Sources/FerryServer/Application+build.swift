import Cache
import Gateway
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import HummingbirdTLS
import Logging
import NIOCore
import Portal

/// The application `ferry serve` runs and every test drives: the registry API under
/// `/v2`, the token service and the portal in `subscribers` mode, the operations
/// endpoints, and the dependencies' services.
///
/// Routes and middlewares, outermost first:
/// - `ForwardedHeadersMiddleware` (with trusted proxies), `AccessLogMiddleware`,
///   `OCIErrorMiddleware`;
/// - `/healthz`, `/readyz`, `/metrics`;
/// - in `subscribers` mode: `/token`, `/account/usage` (with billing), the portal under
///   `/account/`, and with payments `/billing/notify/alipay|stripe`;
/// - the `/v2` group: `RegistryRouteMiddleware`, then in `subscribers` mode
///   `RegistryAuthMiddleware` and (with billing) `BillingMiddleware`, then the API.
public func buildApplication(
    _ configuration: FerryConfiguration,
    _ dependencies: Dependencies,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let router = Router(context: FerryRequestContext.self)
    let gateway = configuration.gateway
    let metrics = dependencies.metrics
    if !gateway.trustedProxies.isEmpty {
        router.add(middleware: ForwardedHeadersMiddleware(trusted: gateway.trustedProxies))
    }
    router.add(middleware: AccessLogMiddleware(metrics: metrics))
    router.add(middleware: OCIErrorMiddleware())
    GatewayOperations(metrics: metrics, readiness: dependencies.readiness, metricsAllowed: gateway.metricsAllowed, now: dependencies.now).addRoutes(to: router)

    let api = router.group("v2").add(middleware: RegistryRouteMiddleware())
    if let access = dependencies.access {
        let directory = dependencies.directory
        TokenController(configuration: gateway, access: access, billing: dependencies.billing, metrics: metrics) { name in
            (try? directory.resolve(name: name, host: nil, namespace: nil)) != nil
        }.addRoutes(to: router)
        if let billing = dependencies.billing {
            AccountController(access: access, billing: billing).addRoutes(to: router)
        }
        if let storage = dependencies.portal {
            try await makePortal(configuration, dependencies, access: access, storage: storage).addRoutes(to: router)
        }
        if let inbox = dependencies.paymentInbox {
            PaymentNotificationController(inbox: inbox, metrics: metrics, now: dependencies.now).addRoutes(to: router)
        }
        api.add(middleware: RegistryAuthMiddleware(configuration: gateway, access: access))
        if let billing = dependencies.billing {
            api.add(middleware: BillingMiddleware(billing: billing, metrics: metrics))
        }
    }
    RegistryController(
        directory: dependencies.directory, manifests: dependencies.cache.manifests, blobs: dependencies.cache.blobs, redirect: dependencies.blobRedirect
    ).addRoutes(to: api)

    var app = Application(
        router: router,
        server: try serverBuilder(dependencies.tls, protection: configuration.listener.protection(trustedProxies: gateway.trustedProxies)),
        configuration: .init(address: .hostname(gateway.host, port: gateway.port), serverName: "ferry"),
        services: dependencies.services,
        onServerRunning: onServerRunning,
        logger: logger
    )
    for step in dependencies.beforeServerStarts {
        app.beforeServerStarts(perform: step)
    }
    return app
}

/// Plain HTTP/1.1 sends cached blobs with `sendfile(2)`; TLS (HTTP/2 and HTTP/1.1)
/// needs the bytes in user space. Both have the listener's timeouts and connection cap.
private func serverBuilder(_ tls: TLSCertificates?, protection: ListenerProtection) throws -> HTTPServerBuilder {
    guard let tls else { return .zeroCopyHTTP1(protection: protection) }
    return try .protectedHTTP2Upgrade(tlsConfiguration: tls.serverConfiguration(), protection: protection)
}

/// The subscriber portal over the same accounts, throttle and billing as the token service.
private func makePortal(_ configuration: FerryConfiguration, _ dependencies: Dependencies, access: SubscriberAccess, storage: PortalStorage) async throws -> Portal {
    let upstreams = configuration.upstreams
    let settings = PortalSettings(
        publicURL: configuration.gateway.publicURL,
        registries: upstreams.upstreams.map { PortalSettings.Registry(name: $0.registry, server: $0.url.absoluteString) },
        defaultRegistry: upstreams.defaultRegistry,
        mirrorDomain: configuration.gateway.mirrorDomain,
        servesTLS: dependencies.tls != nil,
        requestsPerMinute: configuration.portal.requestsPerMinute
    )
    var billing: PortalBilling?
    if let limits = dependencies.billing?.limits, let service = dependencies.billingService {
        billing = PortalBilling(limits: limits, service: service, checkout: dependencies.checkout)
    }
    return Portal(
        accounts: access.accounts, authenticator: access.authenticator, sessions: storage.sessions, audit: storage.audit, billing: billing,
        settings: settings, renderer: try await PageRenderer.bundled(), now: dependencies.now
    )
}
