import Foundation

/// One subscriber's line in a monthly report.
public struct UserUsage: Sendable, Equatable, Codable {
    public var username: String
    public var plan: String?
    public var manifestPulls: Int64
    public var blobPulls: Int64
    public var bytesServed: Int64
    public var hitBytes: Int64
    public var quotaBytes: Int64?
    /// The most distinct client addresses seen on one day of the month.
    public var peakClientAddresses: Int
    public var maxClientAddresses: Int?
    public var currency: String?
    public var dueMinor: Int64
    public var paidMinor: Int64

    /// Creates a line.
    public init(
        username: String, plan: String?, manifestPulls: Int64, blobPulls: Int64, bytesServed: Int64, hitBytes: Int64, quotaBytes: Int64?,
        peakClientAddresses: Int, maxClientAddresses: Int?, currency: String?, dueMinor: Int64, paidMinor: Int64
    ) {
        self.username = username
        self.plan = plan
        self.manifestPulls = manifestPulls
        self.blobPulls = blobPulls
        self.bytesServed = bytesServed
        self.hitBytes = hitBytes
        self.quotaBytes = quotaBytes
        self.peakClientAddresses = peakClientAddresses
        self.maxClientAddresses = maxClientAddresses
        self.currency = currency
        self.dueMinor = dueMinor
        self.paidMinor = paidMinor
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
}

/// The operator's monthly report: per subscriber, and totals.
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
    /// Revenue per currency (payments recorded in the month).
    public var revenue: [String: Int64] {
        users.reduce(into: [:]) { totals, user in
            if let currency = user.currency, user.paidMinor > 0 { totals[currency, default: 0] += user.paidMinor }
        }
    }
}

/// Output formats of `ferry usage report`.
public enum ReportFormat: String, Sendable, CaseIterable {
    case table
    case csv
    case json
}

extension UsageReport {
    /// The report as text in `format`.
    public func rendered(as format: ReportFormat) throws -> String {
        switch format {
        case .json:
            struct Document: Encodable {
                let month: String
                let users: [Line]
                let totals: Totals
            }
            struct Line: Encodable {
                let username: String, plan: String?, manifestPulls: Int64, blobPulls: Int64, bytesServed: Int64, cacheHitRatio: Double
                let quotaUsedPercent: Double?, peakClientAddresses: Int, likelyShared: Bool, currency: String?, dueMinor: Int64, paidMinor: Int64
            }
            struct Totals: Encodable {
                let bytesServed: Int64, upstreamBytes: Int64, bytesSaved: Int64, revenue: [String: Int64]
            }
            let document = Document(
                month: month,
                users: users.map {
                    Line(
                        username: $0.username, plan: $0.plan, manifestPulls: $0.manifestPulls, blobPulls: $0.blobPulls, bytesServed: $0.bytesServed,
                        cacheHitRatio: Self.rounded($0.hitRatio, 4), quotaUsedPercent: $0.quotaUsedPercent.map { Self.rounded($0, 2) },
                        peakClientAddresses: $0.peakClientAddresses, likelyShared: $0.likelyShared, currency: $0.currency, dueMinor: $0.dueMinor, paidMinor: $0.paidMinor
                    )
                },
                totals: Totals(bytesServed: bytesServed, upstreamBytes: upstreamBytes, bytesSaved: bytesSaved, revenue: revenue)
            )
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
        case .csv:
            var lines = ["username,plan,manifest_pulls,blob_pulls,bytes_served,cache_hit_ratio,quota_used_percent,peak_client_addresses,likely_shared,currency,due_minor,paid_minor"]
            for user in users {
                lines.append([
                    user.username, user.plan ?? "", String(user.manifestPulls), String(user.blobPulls), String(user.bytesServed),
                    String(format: "%.4f", user.hitRatio), user.quotaUsedPercent.map { String(format: "%.2f", $0) } ?? "",
                    String(user.peakClientAddresses), user.likelyShared ? "true" : "false", user.currency ?? "", String(user.dueMinor), String(user.paidMinor),
                ].joined(separator: ","))
            }
            return lines.joined(separator: "\n") + "\n"
        case .table:
            var lines = ["Usage report \(month)", ""]
            let header = ["USER", "PLAN", "PULLS", "SERVED", "HIT %", "QUOTA %", "IPS/DAY", "DUE", "PAID", ""]
            var rows = [header]
            for user in users {
                rows.append([
                    user.username, user.plan ?? "-", String(user.manifestPulls), Self.bytes(user.bytesServed),
                    String(format: "%.1f", user.hitRatio * 100), user.quotaUsedPercent.map { String(format: "%.1f", $0) } ?? "-",
                    "\(user.peakClientAddresses)\(user.maxClientAddresses.map { "/\($0)" } ?? "")",
                    Self.money(user.dueMinor, user.currency), Self.money(user.paidMinor, user.currency), user.likelyShared ? "SHARED?" : "",
                ])
            }
            let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
            for row in rows {
                lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
            }
            lines.append("")
            lines.append("served \(Self.bytes(bytesServed)), fetched from upstreams \(Self.bytes(upstreamBytes)), saved by the cache \(Self.bytes(bytesSaved))")
            let revenueText = revenue.sorted { $0.key < $1.key }.map { Self.money($0.value, $0.key) }.joined(separator: ", ")
            lines.append("revenue \(revenueText.isEmpty ? "0" : revenueText)")
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static func rounded(_ value: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
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

    /// `3.00 CNY`.
    public static func money(_ minor: Int64, _ currency: String?) -> String {
        guard let currency else { return minor == 0 ? "-" : String(minor) }
        let cents = abs(minor % 100)
        return "\(minor / 100).\(cents < 10 ? "0" : "")\(cents) \(currency)"
    }
}
