import Accounts
import Cache
import Hummingbird
import HummingbirdCore
import Logging
import Portal
import ServiceLifecycle
import NIOCore

/// Builds the HTTP application: access log, OCI error mapping, in `subscribers` mode the
/// token service, the `/v2` guard and (when given) the subscriber web portal under
/// `/account/`, then the registry routes.
///
/// The blob cache's download loop runs as one of the application's services, so
/// running the application (`runService()`, or `test(.router)` in tests) runs it too.
public func buildApplication(
    configuration: GatewayConfiguration,
    controller: RegistryController,
    access: GatewayAccess,
    operations: GatewayOperations? = nil,
    portal: Portal? = nil,
    server: HTTPServerBuilder = .zeroCopyHTTP1(),
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<FerryRequestContext>> {
    let router = Router(context: FerryRequestContext.self)
    if !configuration.trustedProxies.isEmpty {
        router.add(middleware: ForwardedHeadersMiddleware(trusted: configuration.trustedProxies))
    }
    router.add(middleware: AccessLogMiddleware(metrics: operations?.metrics))
    router.add(middleware: OCIErrorMiddleware())
    operations?.addRoutes(to: router)
    if case .subscribers(let auth) = access {
        router.add(middleware: RegistryAuthMiddleware(configuration: configuration, auth: auth))
        if let billing = auth.billing {
            router.add(middleware: BillingMiddleware(billing: billing, metrics: operations?.metrics))
            AccountController(auth: auth, billing: billing).addRoutes(to: router)
        }
        portal?.addRoutes(to: router)
        let directory = controller.directory
        TokenController(configuration: configuration, auth: auth, metrics: operations?.metrics) { name in
            (try? directory.resolve(name: name, host: nil, namespace: nil)) != nil
        }.addRoutes(to: router)
    }
    controller.addRoutes(to: router)
    // The inventory's service comes first so that it stops last, after the downloads
    // under way have finished and been recorded.
    var services: [any Service] = []
    if let inventory = controller.blobs.inventory {
        services.append(CacheInventoryService(inventory: inventory, evictor: controller.blobs.evictor, logger: logger))
    }
    services.append(BlobDownloadService(cache: controller.blobs))
    if case .subscribers(let auth) = access, let billing = auth.billing {
        services.append(UsageFlushService(billing: billing, logger: logger))
    }
    return Application(
        router: router,
        server: server,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ferry"),
        services: services,
        onServerRunning: onServerRunning,
        logger: logger
    )
}
