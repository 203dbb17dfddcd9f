import Hummingbird
import OCI

/// The first middleware of the `/v2` group: parses the path once into the context's
/// `route` for everything after it. A malformed path is passed on without a route
/// (the registry controller reports it, once the caller is known).
public struct RegistryRouteMiddleware: RouterMiddleware {
    public typealias Context = FerryRequestContext

    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.route = (try? RegistryRoute.parse(path: request.uri.path)) ?? nil
        context.log.route = context.route?.kind ?? "other"
        return try await next(request, context)
    }
}
