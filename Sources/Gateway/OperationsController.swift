import Foundation
import Hummingbird
import NIOCore
import OCI

/// What the operator watches: `/healthz` (the process answers), `/readyz` (its
/// dependencies work: PostgreSQL reachable, cache directory writable) and `/metrics`
/// (Prometheus text format).
///
/// None needs a login, so none may cost much: `/readyz` checks at most once a second
/// (every caller in that second gets the same answer), and `/metrics` answers only
/// clients in `metricsAllowed` (by default loopback and private networks; behind a
/// trusted proxy, the client it reports).
public struct GatewayOperations: Sendable {
    public let metrics: FerryMetrics
    /// Returns what is not ready; empty when ready.
    public let readiness: @Sendable () async -> [String]
    /// Who may read `/metrics`; empty lets everyone.
    public let metricsAllowed: [IPNetwork]
    let readinessAnswers: ReadinessCache

    /// Creates the operations endpoints' dependencies.
    public init(
        metrics: FerryMetrics, readiness: @escaping @Sendable () async -> [String], metricsAllowed: [IPNetwork] = [],
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.metrics = metrics
        self.readiness = readiness
        self.metricsAllowed = metricsAllowed
        self.readinessAnswers = ReadinessCache(check: readiness, now: now)
    }

    /// Registers the routes.
    public func addRoutes(to router: Router<FerryRequestContext>) {
        router.get("/healthz") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: "ok\n")))
        }
        router.get("/readyz") { _, _ in
            let problems = await readinessAnswers.answer()
            let text = problems.isEmpty ? "ready\n" : problems.map { "not ready: \($0)" }.joined(separator: "\n") + "\n"
            return Response(status: problems.isEmpty ? .ok : .serviceUnavailable, headers: [.contentType: "text/plain"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
        }
        router.get("/metrics") { _, context in
            guard mayReadMetrics(context.clientAddress) else {
                throw OCIError(.denied, "metrics are not served to this address (metrics.allowed-networks)")
            }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    /// Whether the client at `address` may read `/metrics` (a connection without a peer
    /// address is not from the network: a test's, or a Unix socket's).
    func mayReadMetrics(_ address: String?) -> Bool {
        guard !metricsAllowed.isEmpty, let address else { return true }
        return metricsAllowed.contains { $0.contains(address) }
    }

    /// Checks that `directory` accepts a new file.
    public static func isWritable(_ directory: String) -> Bool {
        let probe = "\(directory)/.ready-\(UUID().uuidString)"
        guard FileManager.default.createFile(atPath: probe, contents: Data("ok".utf8)) else { return false }
        try? FileManager.default.removeItem(atPath: probe)
        return true
    }
}

/// The readiness answer, checked at most once a second: concurrent callers share one
/// check, and callers within the second after it get its answer.
actor ReadinessCache {
    let check: @Sendable () async -> [String]
    let now: @Sendable () -> Date
    private var last: (answer: [String], at: Date)?
    private var running: Task<[String], Never>?

    init(check: @escaping @Sendable () async -> [String], now: @escaping @Sendable () -> Date) {
        self.check = check
        self.now = now
    }

    func answer() async -> [String] {
        if let last, now().timeIntervalSince(last.at) < 1 { return last.answer }
        if let running { return await running.value }
        let task = Task { await check() }
        running = task
        let answer = await task.value
        running = nil
        last = (answer, now())
        return answer
    }
}
