import Cache
import Hummingbird
import Logging

/// Builds the HTTP application: access log, OCI error mapping, then the registry routes.
///
/// The caller adds the long-running services (`PullThroughBlobCache.run()` and the
/// like) with `addServices` and runs it.
public func buildApplication(
    configuration: GatewayConfiguration,
    controller: RegistryController,
    logger: Logger
) -> Application<RouterResponder<FerryRequestContext>> {
    let router = Router(context: FerryRequestContext.self)
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: OCIErrorMiddleware())
    controller.addRoutes(to: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ferry"),
        logger: logger
    )
}
