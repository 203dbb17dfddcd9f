import Hummingbird

/// Applies the per-client request limit to every portal route.
struct PortalLimitMiddleware<Context: PortalRequestContext>: RouterMiddleware {
    let limiter: PortalRateLimiter

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        try limiter.admit(context.clientNetwork ?? "unknown")
        return try await next(request, context)
    }
}
