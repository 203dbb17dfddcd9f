import Foundation

/// One subscriber's line in a monthly report. Money is per currency: what was due for
/// the billing periods starting in the month, what was paid and what was refunded in it.
public struct UserUsage: Sendable, Equatable, Codable {
    /// The user's id (a deleted user's namesake has another).
    public var userID: Int64
    public var username: String
    /// The account was deleted; its usage and money stay in the books.
    public var deleted: Bool
    /// The plan of the month's last billing period (else the subscription's).
    public var plan: String?
    public var manifestPulls: Int64
    public var blobPulls: Int64
    public var bytesServed: Int64
    public var hitBytes: Int64
    public var quotaBytes: Int64?
    /// The most distinct client addresses seen on one day of the month.
    public var peakClientAddresses: Int
    public var maxClientAddresses: Int?
    /// Currency → minor units.
    public var due: [String: Int64]
    public var paid: [String: Int64]
    public var refunded: [String: Int64]

    /// Creates a line.
    public init(
        userID: Int64 = 0, username: String, deleted: Bool = false, plan: String?, manifestPulls: Int64, blobPulls: Int64, bytesServed: Int64, hitBytes: Int64,
        quotaBytes: Int64?, peakClientAddresses: Int, maxClientAddresses: Int?,
        due: [String: Int64] = [:], paid: [String: Int64] = [:], refunded: [String: Int64] = [:]
    ) {
        self.userID = userID
        self.username = username
        self.deleted = deleted
        self.plan = plan
        self.manifestPulls = manifestPulls
        self.blobPulls = blobPulls
        self.bytesServed = bytesServed
        self.hitBytes = hitBytes
        self.quotaBytes = quotaBytes
        self.peakClientAddresses = peakClientAddresses
        self.maxClientAddresses = maxClientAddresses
        self.due = due
        self.paid = paid
        self.refunded = refunded
    }

    /// Share of served bytes that came from the cache, 0...1.
    public var hitRatio: Double { bytesServed == 0 ? 0 : Double(hitBytes) / Double(bytesServed) }

    /// Percent of the plan's monthly quota used, when there is a plan.
    public var quotaUsedPercent: Double? {
        guard let quotaBytes, quotaBytes > 0 else { return nil }
        return Double(bytesServed) * 100 / Double(quotaBytes)
    }

    /// More distinct client addresses on one day than the plan allows: likely shared.
    public var likelyShared: Bool { maxClientAddresses.map { peakClientAddresses > $0 } ?? false }

    /// The name shown in reports (`bob (deleted)`).
    public var displayName: String { deleted ? "\(username) (deleted)" : username }
}

/// The operator's monthly report: per subscriber, and totals per currency.
public struct UsageReport: Sendable, Equatable, Codable {
    public var month: String
    public var users: [UserUsage]
    /// Bytes fetched from upstreams in the month (cache fills).
    public var upstreamBytes: Int64

    /// Creates a report.
    public init(month: String, users: [UserUsage], upstreamBytes: Int64) {
        self.month = month
        self.users = users
        self.upstreamBytes = upstreamBytes
    }

    public var bytesServed: Int64 { users.reduce(0) { $0 + $1.bytesServed } }
    /// Served bytes the upstreams did not have to send again.
    public var bytesSaved: Int64 { max(0, bytesServed - upstreamBytes) }
    /// Due in the month, per currency.
    public var due: [String: Int64] { Self.sum(users.map(\.due)) }
    /// Paid in the month, per currency.
    public var paid: [String: Int64] { Self.sum(users.map(\.paid)) }
    /// Refunded in the month, per currency.
    public var refunded: [String: Int64] { Self.sum(users.map(\.refunded)) }
    /// Paid minus refunded, per currency.
    public var revenue: [String: Int64] {
        Self.sum([paid, refunded.mapValues { -$0 }]).filter { $0.value != 0 }
    }

    static func sum(_ amounts: [[String: Int64]]) -> [String: Int64] {
        amounts.reduce(into: [:]) { total, amounts in
            for (currency, minor) in amounts { total[currency, default: 0] += minor }
        }
    }

    /// `1.5 GiB`, `300 B`.
    public static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024, unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.1f", value) + " " + units[unit]
    }

    /// `3.00 CNY` (the currency's own decimals); `-` for no amount without a currency.
    public static func money(_ minor: Int64, _ currency: String?) -> String {
        guard let currency else { return minor == 0 ? "-" : String(minor) }
        return Money.format(minor, currency)
    }
}

/// Output formats of `ferry usage report`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table
    case csv
    case json
}
