import Billing
import Configuration
import Foundation

/// Plans, quotas and metering in `subscribers` mode.
///
/// Configuration keys:
/// - `billing.enabled`: enforce plans and meter usage (default true).
/// - `billing.time-zone`: the zone billing days and months are counted in (default UTC).
/// - `billing.grace-days`: days of access after a period ends unpaid (0–60, default 3).
/// - `usage.flush-interval`: how often usage is written to PostgreSQL, the most a crash
///   can lose (1s–5m, default 5s).
///
/// The time zone and grace days are also stored in PostgreSQL by `ferry serve` (and by
/// `ferry migrate` when they are set), so commands run with only a database URL agree
/// with the server; a command whose own setting disagrees with the stored one is refused.
public struct BillingConfiguration: Sendable {
    public var enabled: Bool
    public var timeZone: TimeZone
    public var graceDays: Int
    public var flushInterval: Duration
    /// Whether `billing.time-zone` was set (rather than defaulted).
    public var timeZoneIsSet: Bool
    /// Whether `billing.grace-days` was set (rather than defaulted).
    public var graceDaysIsSet: Bool

    /// The time zone and grace days.
    public var settings: BillingSettings { BillingSettings(timeZone: timeZone, graceDays: graceDays) }

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        let billing = reader.scoped(to: "billing")
        enabled = try billing.bool("enabled", default: true)
        timeZoneIsSet = billing.string("time-zone") != nil
        graceDaysIsSet = billing.string("grace-days") != nil || billing.reader.int(forKey: ConfigKey("grace-days")) != nil
        let zoneName = billing.string("time-zone", default: "UTC")
        guard let timeZone = TimeZone(identifier: zoneName) else {
            throw ConfigurationError("billing.time-zone: \"\(zoneName)\" is not a time zone (e.g. UTC, Asia/Shanghai)")
        }
        self.timeZone = timeZone
        graceDays = try billing.int("grace-days", default: 3, range: 0...60)
        flushInterval = try reader.scoped(to: "usage").duration("flush-interval", default: .seconds(5), range: .seconds(1)...(.seconds(300)))
    }
}
