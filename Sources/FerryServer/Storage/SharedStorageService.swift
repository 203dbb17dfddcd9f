import Cache
import Foundation
import Logging
import ServiceLifecycle

/// Keeps the shared store: every few seconds the accesses this server noted are written
/// to the index; every minute, the server holding the fleet's maintenance lease evicts
/// the store down to its low-water mark (when over `cache.shared-max-size`) and aborts
/// abandoned uploads. Any server may hold the lease; one does at a time.
struct SharedStorageService: Service {
    static let leaseName = "shared-store-maintenance"

    let bucket: SharedBucket
    /// `cache.shared-max-size`; nil is unlimited.
    let budget: Int64?
    let lowWaterFraction: Double
    let logger: Logger
    let now: @Sendable () -> Date
    var flushInterval: Duration = .seconds(5)
    var maintenanceInterval: Duration = .seconds(60)
    /// This server's name in the lease.
    let holder = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"

    func run() async throws {
        await cancelWhenGracefulShutdown {
            var sinceMaintenance = maintenanceInterval
            while !Task.isCancelled {
                await bucket.storage.flushAccesses()
                if sinceMaintenance >= maintenanceInterval {
                    sinceMaintenance = .zero
                    await maintain()
                }
                try? await Task.sleep(for: flushInterval)
                sinceMaintenance += flushInterval
            }
        }
        // The accesses of the last seconds are not lost at shutdown.
        await bucket.storage.flushAccesses()
    }

    /// One maintenance pass, when this server holds (or takes) the lease.
    func maintain() async {
        do {
            let seconds = Int(maintenanceInterval.components.seconds) * 3
            guard try await bucket.index.holdLease(Self.leaseName, holder: holder, seconds: seconds) else { return }
            if let budget, try await bucket.index.totals().bytes > budget {
                _ = try await bucket.storage.evict(to: Int64(Double(budget) * lowWaterFraction))
            }
            _ = try await bucket.abortAbandonedUploads(now: now(), logger: logger)
        } catch {
            bucket.storage.failed()
            logger.warning("shared store maintenance failed; will retry", metadata: ["error": "\(error)"])
        }
    }
}
