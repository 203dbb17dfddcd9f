import Cache
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The running server's cache administration, served on a Unix socket in a directory
/// of the data directory that only the server's user can enter, so that `ferry
/// cache stats|gc|purge` act on the server's live inventory instead of beside it:
/// - `GET /cache/stats`
/// - `POST /cache/gc?to=BYTES[&dry-run=true]` (default target: the low-water mark)
/// - `POST /cache/purge?target=sha256:…|REPOSITORY`
/// Answers are JSON; errors are OCI error documents.
public struct CacheAdminController: Sendable {
    let maintenance: CacheMaintenance
    /// The target of a `gc` without `to`: the configured low-water mark, if any.
    let defaultTarget: Int64?

    /// Creates the controller over the server's live cache.
    public init(maintenance: CacheMaintenance, defaultTarget: Int64?) {
        self.maintenance = maintenance
        self.defaultTarget = defaultTarget
    }

    /// Registers the routes.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/cache/stats") { _, _ in try Self.json(maintenance.stats()) }
        router.post("/cache/gc") { request, _ in
            let query = request.uri.queryParameters
            guard let target = query["to"].flatMap({ Int64($0) }) ?? defaultTarget, target >= 0 else {
                throw HTTPError(.badRequest, message: "no cache.max-size configured: pass to=BYTES")
            }
            return try Self.json(await maintenance.collect(to: target, dryRun: query["dry-run"] == "true"))
        }
        router.post("/cache/purge") { request, _ in
            guard let target = request.uri.queryParameters["target"].map(String.init), !target.isEmpty else {
                throw HTTPError(.badRequest, message: "target=DIGEST|REPOSITORY is required")
            }
            return try Self.json(try maintenance.purge(target))
        }
    }

    static func json(_ value: some Encodable) throws -> Response {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// The admin application on the Unix socket at `socketPath` (replacing a stale one).
///
/// The socket is created in a directory that only the server's user can enter (made
/// with mode 0700 before the socket is bound, and checked to belong to that user), so
/// there is no moment when another local user could connect; and every connection's
/// peer is checked with `SO_PEERCRED` (the server's user and root only).
public func buildAdminApplication(socketPath: String, controller: CacheAdminController, logger: Logger) throws -> some ApplicationProtocol {
    try AdminSocketDirectory.prepare(directory: (socketPath as NSString).deletingLastPathComponent)
    unlink(socketPath)
    let router = Router()
    router.add(middleware: OCIErrorMiddleware())
    controller.addRoutes(to: router)
    return Application(
        router: router,
        server: HTTPServerBuilder { responder in GuardedChildChannel(HTTP1Channel(responder: responder), front: { [PeerCredentialsHandler()] }) },
        configuration: .init(address: .unixDomainSocket(path: socketPath), serverName: "ferry-admin"),
        logger: logger
    )
}
