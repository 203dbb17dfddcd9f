import Hummingbird
import Logging
import Synchronization

/// The access-log line (and request metrics) of one request, written exactly once: by
/// `write(outcome:)` when the body has been sent or has failed, or, when the response
/// is dropped before its head could be written (the client reset the connection or
/// the HTTP/2 stream while Ferry waited on the upstream, so the body never ran), as
/// the entry is released, with outcome `aborted-before-head`.
final class AccessLogEntry: Sendable {
    struct Request: Sendable {
        let method: String
        let path: String
        let client: String
        let status: Int
        let started: ContinuousClock.Instant
    }

    let request: Request
    let record: AccessLogRecord
    let logger: Logger
    let metrics: FerryMetrics?
    /// Bytes handed to the connection so far.
    let sent = ByteCounter()
    private let isWritten = Atomic<Bool>(false)

    init(request: Request, record: AccessLogRecord, logger: Logger, metrics: FerryMetrics?) {
        self.request = request
        self.record = record
        self.logger = logger
        self.metrics = metrics
    }

    /// Writes the line; later calls do nothing.
    func write(outcome: String) {
        guard !isWritten.exchange(true, ordering: .acquiringAndReleasing) else { return }
        let bytes = sent.value
        if let metrics {
            metrics.request(route: record.route ?? AccessLogMiddleware.routeName(request.path), status: request.status, upstream: record.upstream ?? "-")
            if bytes > 0 { metrics.served(bytes: Int(bytes), source: record.source?.rawValue ?? "other", zeroCopy: record.zeroCopy) }
            if record.source == .coalesced { metrics.coalescedWaiter() }
            if record.route == "blob", let source = record.source, request.status < 400 { metrics.blobAnswered(source: source.rawValue) }
        }
        logger.info("access", metadata: [
            "method": "\(request.method)",
            "user": "\(record.user ?? "-")",
            "client": "\(request.client)",
            "path": "\(request.path)",
            "upstream": "\(record.upstream ?? "-")",
            "repo": "\(record.repository ?? "-")",
            "status": "\(request.status)",
            "bytes": "\(bytes)",
            "ms": "\((ContinuousClock.now - request.started).milliseconds)",
            "cache": "\(record.source?.rawValue ?? "-")\(record.zeroCopy ? "+sendfile" : "")",
            "outcome": "\(outcome)",
        ])
    }

    deinit {
        write(outcome: "aborted-before-head")
    }
}
