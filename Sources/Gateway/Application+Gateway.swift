import Cache
import Hummingbird
import Logging
import NIOCore

/// Builds the HTTP application: access log, OCI error mapping, then the registry routes.
///
/// The blob cache's download loop runs as one of the application's services, so
/// running the application (`runService()`, or `test(.router)` in tests) runs it too.
public func buildApplication(
    configuration: GatewayConfiguration,
    controller: RegistryController,
    logger: Logger,
    onServerRunning: @escaping @Sendable (any Channel) async -> Void = { _ in }
) -> Application<RouterResponder<FerryRequestContext>> {
    let router = Router(context: FerryRequestContext.self)
    router.add(middleware: AccessLogMiddleware())
    router.add(middleware: OCIErrorMiddleware())
    controller.addRoutes(to: router)
    return Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "ferry"),
        services: [BlobDownloadService(cache: controller.blobs)],
        onServerRunning: onServerRunning,
        logger: logger
    )
}
