import Logging
import ServiceLifecycle
import Synchronization

/// Every flush interval, writes metered usage (one batch) and the rate-limit windows
/// that changed to PostgreSQL; on graceful shutdown it stops after the HTTP server has
/// drained and writes both once more.
public struct UsageFlushService: Service {
    let meter: UsageMeter
    let limits: SubscriberLimits
    let interval: Duration
    let logger: Logger

    /// Creates the service; `interval` is the most a crash can lose.
    public init(meter: UsageMeter, limits: SubscriberLimits, interval: Duration, logger: Logger) {
        self.meter = meter
        self.limits = limits
        self.interval = interval
        self.logger = logger
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            async let usage: Void = meter.run(every: interval) { stopping.isSet }
            async let windows: Void = limits.run(every: interval, logger: logger) { stopping.isSet }
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
