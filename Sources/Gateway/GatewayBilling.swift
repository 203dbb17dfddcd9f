import Billing

/// Plan enforcement and metering for `subscribers` mode.
public struct GatewayBilling: Sendable {
    public let limits: SubscriberLimits
    public let meter: UsageMeter
    /// How often metered usage and rate-limit windows are written to PostgreSQL (the
    /// most a crash can lose).
    public let flushInterval: Duration

    /// Creates the billing parts.
    public init(limits: SubscriberLimits, meter: UsageMeter, flushInterval: Duration = .seconds(5)) {
        self.limits = limits
        self.meter = meter
        self.flushInterval = flushInterval
    }
}
