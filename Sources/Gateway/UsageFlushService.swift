import Billing
import Logging
import ServiceLifecycle
import Synchronization

/// Every flush interval, writes metered usage (one batch) and the rate-limit windows
/// that changed to PostgreSQL; on graceful shutdown it stops after the HTTP server has
/// drained and writes both once more.
public struct UsageFlushService: Service {
    let billing: GatewayBilling
    let logger: Logger

    /// Creates the service.
    public init(billing: GatewayBilling, logger: Logger) {
        self.billing = billing
        self.logger = logger
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            async let usage: Void = billing.meter.run(every: billing.flushInterval) { stopping.isSet }
            async let windows: Void = billing.limits.run(every: billing.flushInterval, logger: logger) { stopping.isSet }
            _ = await (usage, windows)
        } onGracefulShutdown: {
            stopping.set()
        }
    }
}

/// A flag set once from any thread.
final class StopFlag: Sendable {
    private let value = Atomic<Bool>(false)
    var isSet: Bool { value.load(ordering: .acquiring) }
    func set() { value.store(true, ordering: .releasing) }
}
