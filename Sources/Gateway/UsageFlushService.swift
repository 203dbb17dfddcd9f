import Billing
import ServiceLifecycle
import Synchronization

/// Flushes metered usage to PostgreSQL every `interval`; on graceful shutdown it stops
/// after the HTTP server has drained and writes the last batch.
public struct UsageFlushService: Service {
    let meter: UsageMeter
    let interval: Duration

    /// Creates the service.
    public init(meter: UsageMeter, interval: Duration) {
        self.meter = meter
        self.interval = interval
    }

    public func run() async throws {
        let stopping = StopFlag()
        await withGracefulShutdownHandler {
            await meter.run(every: interval) { stopping.isSet }
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
