import Billing
import HTTPTypes
import Hummingbird
import NIOCore
import OCI

/// Applies a subscriber's plan to every request of the `/v2` group (after
/// `RegistryAuthMiddleware` has named the subscriber): an expired subscription is refused, the request rate and the
/// manifest-pull window are enforced, new blob downloads are refused over quota or over
/// the concurrency cap, and every byte actually written is metered as it goes out.
///
/// Every manifest response (errors included) and every 429 from here carries
/// Docker-Hub-style `ratelimit-limit: N;w=SECONDS` and `ratelimit-remaining: R;w=SECONDS`.
/// A manifest GET that passes the limit counts as a pull, in the window and in the
/// usage rows, whatever its outcome (as Docker Hub counts manifest GETs). A HEAD is free
/// and counted as a plain request, unless answering it needs an upstream GET (nothing
/// cached, and the upstream's HEAD cannot answer it): then it counts as a pull too, so a
/// HEAD never buys an upstream GET for free. A request whose handler fails is still metered.
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
        guard let subscriber = context.subscriber else { return try await next(request, context) }
        let limits = billing.limits
        let standing = try await limits.admit(userID: subscriber.userID, username: subscriber.username)
        let route = context.route
        var isManifest = false
        if case .manifest = route { isManifest = true }
        var admission = try await refusingWithHeaders(standing) { try await admit(request.method, route: route, standing: standing) }
        if let address = context.clientNetwork { billing.meter.recordAddress(userID: standing.userID, address: address) }

        let record = context.log
        let meter = billing.meter
        let userID = standing.userID
        var context = context
        context.manifestHeadFetch = isManifest && request.method == .head ? .needsPull : .allowed
        var response: Response
        do {
            do {
                response = try await next(request, context)
            } catch is ManifestHeadNeedsPull {
                // Only an upstream GET can answer this HEAD: it is a pull.
                admission = try await refusingWithHeaders(standing) { Admission(kind: .manifest, pullsRemaining: try limits.admitManifestPull(standing)) }
                context.manifestHeadFetch = .paid
                response = try await next(request, context)
            }
        } catch let refusal as ErrorWithResponseHeaders where refusal.error is LimitRefusal {
            throw refusal
        } catch {
            admission.slot?.release()
            meter.recordRequest(userID: userID, upstream: record.upstream ?? "-", repository: record.repository ?? "-", kind: admission.kind == .manifest ? .manifest : .other)
            throw isManifest ? ErrorWithResponseHeaders(error, headers: pullLimitHeaders(admission, standing, isManifest: isManifest)) : error
        }
        let (kind, slot) = (admission.kind, admission.slot)
        response.headers.append(contentsOf: pullLimitHeaders(admission, standing, isManifest: isManifest))
        let upstream = record.upstream ?? "-"
        let repository = record.repository ?? "-"
        meter.recordRequest(userID: userID, upstream: upstream, repository: repository, kind: kind == .manifest || response.status.code < 400 ? kind : .other)
        let fromCache = record.source == .hit || record.source == .redirected
        if let redirected = record.redirectedBytes {
            // The shared store sends the bytes: they count now, whether or not the
            // client follows the redirect (as the upstream counts a pull it served).
            slot?.release()
            meter.recordBytes(userID: userID, upstream: upstream, repository: repository, bytes: Int(redirected), fromCache: true)
            limits.addServed(userID: userID, bytes: Int(redirected))
            return response
        }
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            // When the client is gone before the head is written, this never runs: the
            // slot is then given back as the dropped response releases it.
            defer { slot?.release() }
            try await body.write(ReportingBodyWriter(parent: writer) { bytes in
                meter.recordBytes(userID: userID, upstream: upstream, repository: repository, bytes: bytes, fromCache: fromCache)
                limits.addServed(userID: userID, bytes: bytes)
            })
        }
        return response
    }

    /// Runs an admission step; a `LimitRefusal` goes out with the rate-limit headers.
    private func refusingWithHeaders(_ standing: Standing, _ step: () async throws -> Admission) async throws -> Admission {
        do {
            return try await step()
        } catch let refusal as LimitRefusal {
            metrics?.rateLimited(reason: refusal.reason.rawValue)
            throw ErrorWithResponseHeaders(refusal, headers: Self.rateLimitHeaders(standing, remaining: billing.limits.manifestPullsRemaining(standing)))
        }
    }

    /// The pull-limit headers of a manifest answer (none for other routes).
    private func pullLimitHeaders(_ admission: Admission, _ standing: Standing, isManifest: Bool) -> HTTPFields {
        guard isManifest else { return [:] }
        return Self.rateLimitHeaders(standing, remaining: admission.pullsRemaining ?? billing.limits.manifestPullsRemaining(standing))
    }

    /// What a request was admitted as: its metering kind, the pulls left after a
    /// manifest GET, and the slot a blob download holds.
    struct Admission {
        var kind = UsageMeter.RequestKind.other
        var pullsRemaining: Int?
        var slot: DownloadSlot?
    }

    /// Takes a request from the rate bucket, then a manifest pull (GET only) or a
    /// download slot (blob GET); throws the `LimitRefusal` of the first limit reached.
    private func admit(_ method: HTTPRequest.Method, route: RegistryRoute?, standing: Standing) async throws -> Admission {
        let limits = billing.limits
        try limits.admitRequest(standing)
        switch route {
        case .manifest where method == .get:
            return Admission(kind: .manifest, pullsRemaining: try limits.admitManifestPull(standing))
        case .blob where method == .get:
            return Admission(kind: .blob, slot: try await limits.beginDownload(standing))
        default:
            return Admission()
        }
    }

    /// Docker Hub's pull-limit headers for the user's manifest-pull window.
    static func rateLimitHeaders(_ standing: Standing, remaining: Int) -> HTTPFields {
        let window = "w=\(standing.plan.manifestWindowSeconds)"
        return [
            .rateLimitLimit: "\(standing.plan.manifestPullsPerWindow);\(window)",
            .rateLimitRemaining: "\(remaining);\(window)",
        ]
    }
}

extension HTTPField.Name {
    static let rateLimitLimit = Self("ratelimit-limit")!
    static let rateLimitRemaining = Self("ratelimit-remaining")!
}
