import Foundation
import Hummingbird
import NIOCore

/// What the operator watches: `/healthz` (the process answers), `/readyz` (its
/// dependencies work: PostgreSQL reachable, cache directory writable) and `/metrics`
/// (Prometheus text format).
public struct GatewayOperations: Sendable {
    public let metrics: FerryMetrics
    /// Returns what is not ready; empty when ready.
    public let readiness: @Sendable () async -> [String]

    /// Creates the operations endpoints' dependencies.
    public init(metrics: FerryMetrics, readiness: @escaping @Sendable () async -> [String]) {
        self.metrics = metrics
        self.readiness = readiness
    }

    /// Registers the routes.
    public func addRoutes(to router: Router<FerryRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            let problems = await readiness()
            let text = problems.isEmpty ? "ready\n" : problems.map { "not ready: \($0)" }.joined(separator: "\n") + "\n"
            return Response(status: problems.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    /// Checks that `directory` accepts a new file.
    public static func isWritable(_ directory: String) -> Bool {
        let probe = "\(directory)/.ready-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: probe, contents: Data("ok".utf8)) else { return false }
        try? FileManager.default.removeItem(atPath: probe)
        return true
    }
}
