import Foundation
import Metrics
import Prometheus

/// Ferry's Prometheus series, recorded through swift-metrics into a registry that is
/// passed in (never bootstrapped globally, so tests can each have their own).
public struct FerryMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let factory: PrometheusMetricsFactory
    /// Called right before each scrape to refresh gauges (cache size, flush lag).
    let refresh: @Sendable (FerryMetrics) -> Void

    /// Creates the metrics over `registry`.
    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(), refresh: @escaping @Sendable (FerryMetrics) -> Void = { _ in }) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
        self.refresh = refresh
    }

    /// One finished request.
    public func request(route: String, status: Int, upstream: String) {
        Counter(label: "ferry_http_requests_total", dimensions: [("route", route), ("status", String(status)), ("upstream", upstream)], factory: factory).increment()
    }

    /// Body bytes written to clients, by where they came from; those sent with
    /// `sendfile(2)` are counted once more in `ferry_sendfile_bytes_total`.
    public func served(bytes: Int, source: String, zeroCopy: Bool = false) {
        Counter(label: "ferry_served_bytes_total", dimensions: [("source", source)], factory: factory).increment(by: Int64(bytes))
        if zeroCopy { Counter(label: "ferry_sendfile_bytes_total", factory: factory).increment(by: Int64(bytes)) }
    }

    /// One request to an upstream; `status` is nil when it failed without a response.
    public func upstreamRequest(upstream: String, method: String, status: Int?, duration: Duration) {
        Counter(label: "ferry_upstream_requests_total", dimensions: [("upstream", upstream), ("method", method), ("status", status.map(String.init) ?? "error")], factory: factory).increment()
        if status == nil || status! >= 500 {
            Counter(label: "ferry_upstream_errors_total", dimensions: [("upstream", upstream)], factory: factory).increment()
        }
        let (seconds, attoseconds) = duration.components
        Timer(label: "ferry_upstream_request_duration_seconds", dimensions: [("upstream", upstream)], preferredDisplayUnit: .seconds, factory: factory)
            .recordNanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    /// A blob answered, by where it came from: `hit` (the local disk), `shared` (the
    /// shared store), `miss` (an upstream download), `coalesced`, `stale`, `redirected`.
    public func blobAnswered(source: String) {
        Counter(label: "ferry_blob_responses_total", dimensions: [("source", source)], factory: factory).increment()
    }

    /// A request to the shared store (S3 or its index) that failed.
    public func sharedStoreFailed() {
        Counter(label: "ferry_shared_store_errors_total", factory: factory).increment()
    }

    /// A client that joined a download already under way.
    public func coalescedWaiter() {
        Counter(label: "ferry_coalesced_waiters_total", factory: factory).increment()
    }

    /// Blobs evicted from the cache.
    public func evicted(bytes: Int64) {
        Counter(label: "ferry_cache_evictions_total", factory: factory).increment()
        Counter(label: "ferry_cache_evicted_bytes_total", factory: factory).increment(by: bytes)
    }

    /// Gauges set at scrape time.
    public func setCache(bytes: Int64, blobs: Int, activeDownloads: Int) {
        Gauge(label: "ferry_cache_bytes", factory: factory).record(bytes)
        Gauge(label: "ferry_cache_blobs", factory: factory).record(blobs)
        Gauge(label: "ferry_active_downloads", factory: factory).record(activeDownloads)
    }

    /// Seconds since usage was last written to PostgreSQL.
    public func setUsageFlushLag(seconds: Double) {
        Gauge(label: "ferry_usage_flush_lag_seconds", factory: factory).record(seconds)
    }

    /// Usage flushes attempted since start-up (each writes at most one batch).
    public func setUsageFlushes(_ count: Int) {
        Gauge(label: "ferry_usage_flushes", factory: factory).record(count)
    }

    /// A token issued, or refused with `reason`.
    public func token(issued: Bool, reason: String = "") {
        if issued {
            Counter(label: "ferry_tokens_issued_total", factory: factory).increment()
        } else {
            Counter(label: "ferry_tokens_refused_total", dimensions: [("reason", reason)], factory: factory).increment()
        }
    }

    /// A payment notification, by provider and what became of it (`applied`, `orphan`,
    /// `rejected`, `waiting`, `ignored`, `duplicate`, `refused`, `unavailable`, `throttled`).
    public func paymentNotification(provider: String, outcome: String) {
        Counter(label: "ferry_payment_notifications_total", dimensions: [("provider", provider), ("outcome", outcome)], factory: factory).increment()
    }

    /// A 429 answer, by which limit.
    public func rateLimited(reason: String) {
        Counter(label: "ferry_rate_limited_total", dimensions: [("reason", reason)], factory: factory).increment()
    }

    /// The Prometheus text exposition.
    public func exposition() -> [UInt8] {
        refresh(self)
        return registry.emitToBuffer()
    }
}
