import Cache
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Writes one log line per request once its body has been sent (or abandoned): method,
/// path, upstream, repository, status, bytes actually sent, duration, cache source.
public struct AccessLogMiddleware: RouterMiddleware {
    public typealias Context = FerryRequestContext
    let metrics: FerryMetrics?

    /// Creates the middleware; with `metrics`, also counts requests and served bytes.
    public init(metrics: FerryMetrics? = nil) {
        self.metrics = metrics
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response = try await next(request, context)
        let status = response.status.code
        let record = context.record
        let logger = context.logger
        let method = request.method.rawValue
        let client = context.clientAddress ?? "-"
        let path = request.uri.path
        let body = response.body
        let metrics = self.metrics
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            let counter = ByteCounter()
            var outcome = "ok"
            defer {
                if let metrics {
                    metrics.request(route: Self.routeName(path), status: Int(status), upstream: record.upstream ?? "-")
                    if counter.value > 0 { metrics.served(bytes: Int(counter.value), source: record.source ?? "other", zeroCopy: record.zeroCopy) }
                    if record.source == "coalesced" { metrics.coalescedWaiter() }
                }
                logger.info("access", metadata: [
                    "method": "\(method)",
                    "user": "\(record.user ?? "-")",
                    "client": "\(client)",
                    "path": "\(path)",
                    "upstream": "\(record.upstream ?? "-")",
                    "repo": "\(record.repository ?? "-")",
                    "status": "\(status)",
                    "bytes": "\(counter.value)",
                    "ms": "\((ContinuousClock.now - started).milliseconds)",
                    "cache": "\(record.source ?? "-")\(record.zeroCopy ? "+sendfile" : "")",
                    "outcome": "\(outcome)",
                ])
            }
            do {
                try await body.write(ReportingBodyWriter(parent: writer) { counter.add($0) })
            } catch {
                outcome = "aborted"
                throw error
            }
        }
        return response
    }
}

extension AccessLogMiddleware {
    /// A low-cardinality name for the route of `path`, for metrics.
    static func routeName(_ path: String) -> String {
        if path == "/v2" || path == "/v2/" { return "base" }
        if path.hasPrefix("/v2/") {
            if path.hasSuffix("/tags/list") { return "tags" }
            if path.contains("/manifests/") { return "manifest" }
            if path.contains("/blobs/") { return "blob" }
            return "other"
        }
        switch path {
        case "/token": return "token"
        case "/account/usage": return "account"
        case "/healthz", "/readyz", "/metrics": return String(path.dropFirst())
        default: return path == "/account" || path.hasPrefix("/account/") ? "portal" : "other"
        }
    }
}

/// Bytes handed to the connection so far.
final class ByteCounter: Sendable {
    private let count = Atomic<Int64>(0)
    var value: Int64 { count.load(ordering: .relaxed) }
    func add(_ bytes: Int) { count.add(Int64(bytes), ordering: .relaxed) }
}
