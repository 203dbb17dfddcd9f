import Billing
import Cache
import Foundation
import Gateway
import Logging
import ServiceLifecycle

extension MirrorCache {
    /// The cache as configured, metering its upstream bytes on `meter` and counting its
    /// evictions on `metrics`. `exclusive` takes the data directory's lock (a server does).
    static func open(
        _ configuration: CacheConfiguration, exclusive: Bool, pools: BlobIOPools, shared: SharedStorage? = nil, meter: UsageMeter?, metrics: FerryMetrics,
        logger: Logger, now: @escaping @Sendable () -> Date
    ) throws -> MirrorCache {
        try MirrorCache.open(
            configuration.layout,
            settings: .init(
                budget: try configuration.budgetBytes(), lowWaterFraction: configuration.lowWater, minimumFree: configuration.minimumFree,
                tagRevalidation: TimeInterval(configuration.tagRevalidation.components.seconds), exclusive: exclusive
            ),
            pools: pools,
            shared: shared,
            observers: .init(fetched: { upstream, bytes in meter?.recordUpstreamBytes(upstream: upstream, bytes: bytes) }, evicted: metrics.evicted),
            logger: logger, now: now
        )
    }
}

extension Dependencies {
    /// The services of the cache and of metering, in start order: the index first (it
    /// stops last), then the usage flush (it stops after the downloads have recorded
    /// their bytes), then the download loop.
    static func cacheServices(_ cache: MirrorCache, billing: GatewayBilling?, logger: Logger) -> [any Service] {
        var services: [any Service] = [cache.indexService(logger: logger)]
        if let billing {
            services.append(UsageFlushService(meter: billing.meter, limits: billing.limits, interval: billing.flushInterval, logger: logger))
        }
        services.append(cache.downloadService)
        return services
    }

    /// Why the cache's directory cannot take a download (empty when it can).
    static func cacheProblems(_ layout: CacheLayout) -> [String] {
        GatewayOperations.isWritable(layout.temporary) ? [] : ["cache directory \(layout.root) is not writable"]
    }
}
