import Cache
import Hummingbird
import Logging
import NIOCore
import Synchronization

/// Writes one log line per request once its body has been sent (or abandoned): method,
/// path, upstream, repository, status, bytes actually sent, duration, cache source and
/// outcome (`ok`, `aborted`, or `aborted-before-head` when the client left before the
/// response head could be written).
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
        let entry = AccessLogEntry(
            request: .init(method: request.method.rawValue, path: request.uri.path, client: context.clientAddress ?? "-", status: Int(response.status.code), started: started),
            record: context.log, logger: context.logger, metrics: metrics
        )
        let body = response.body
        response.body = ResponseBody(contentLength: body.contentLength) { writer in
            do {
                try await body.write(ReportingBodyWriter(parent: writer) { entry.sent.add($0) })
            } catch {
                entry.write(outcome: "aborted")
                throw error
            }
            entry.write(outcome: "ok")
        }
        return response
    }
}

extension AccessLogMiddleware {
    /// A low-cardinality name for the route of `path`, for metrics, when no `/v2`
    /// endpoint named it.
    static func routeName(_ path: String) -> String {
        switch path {
        case "/token": return "token"
        case "/account/usage": return "account"
        case "/healthz", "/readyz", "/metrics": return String(path.dropFirst())
        case "/billing/notify/alipay", "/billing/notify/stripe": return "notify"
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
