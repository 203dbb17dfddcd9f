import Billing
import HTTPTypes
import Hummingbird
import NIOCore
import OCI

/// Applies a subscriber's plan to every `/v2` request (after `RegistryAuthMiddleware`
/// has named the user): an expired subscription is refused, the request rate and the
/// manifest-pull window are enforced with Docker-Hub-style `ratelimit-*` headers, new
/// blob downloads are refused over quota or over the concurrency cap, and every byte
/// actually written is metered as it goes out.
public struct BillingMiddleware: RouterMiddleware {
    public typealias Context = FerryRequestContext
    let billing: GatewayBilling
    let metrics: FerryMetrics?

    /// Creates the middleware.
    public init(billing: GatewayBilling, metrics: FerryMetrics? = nil) {
        self.billing = billing
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await enforce(request, context: context, next: next)
        } catch let refusal as LimitRefusal {
            if refusal.reason != .noSubscription { metrics?.rateLimited(reason: refusal.reason.rawValue) }
            throw refusal
        }
    }

    private func enforce(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == "/v2" || path.hasPrefix("/v2/"), let username = context.record.user else {
            return try await next(request, context)
        }
        let limits = billing.limits
        let standing = try await limits.admit(username: username)
        try limits.admitRequest(standing)
        let route = (try? RegistryRoute.parse(path: path)) ?? nil
        var kind = UsageMeter.RequestKind.other
        var rateLimitHeaders: HTTPFields = [:]
        var slot: DownloadSlot?
        switch route {
        case .manifest:
            kind = .manifest
            let remaining = request.method == .get ? try limits.admitManifestPull(standing) : limits.manifestPullsRemaining(standing)
            rateLimitHeaders[.rateLimitLimit] = "\(standing.plan.manifestPullsPerWindow);w=\(standing.plan.manifestWindowSeconds)"
            rateLimitHeaders[.rateLimitRemaining] = "\(remaining)"
        case .blob where request.method == .get:
            kind = .blob
            slot = try await limits.beginDownload(standing)
        default:
            break
        }
        if let address = context.clientNetwork { billing.meter.recordAddress(userID: standing.userID, address: address) }

        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            slot?.release()
            throw error
        }
        response.headers.append(contentsOf: rateLimitHeaders)
        let record = context.record
        let meter = billing.meter
        let userID = standing.userID
        let upstream = record.upstream ?? "-"
        let repository = record.repository ?? "-"
        meter.recordRequest(userID: userID, upstream: upstream, repository: repository, kind: response.status.code < 400 ? kind : .other)
        let fromCache = record.source == "hit"
        let download = slot
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            // When the client is gone before the head is written, this never runs: the
            // slot is then given back as the dropped response releases it.
            defer { download?.release() }
            try await body.write(ReportingBodyWriter(parent: writer) { bytes in
                meter.recordBytes(userID: userID, upstream: upstream, repository: repository, bytes: bytes, fromCache: fromCache)
                limits.addServed(userID: userID, bytes: bytes)
            })
        }
        return response
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("ratelimit-limit")!
    static let rateLimitRemaining = Self("ratelimit-remaining")!
}
