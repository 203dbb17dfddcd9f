import Foundation

extension UsageReport {
    /// The report as text in `format`. Money is per currency everywhere: JSON maps
    /// currency to minor units; CSV cells hold `CNY:300;USD:990` (minor units); the
    /// table prints `3.00 CNY + 9.90 USD`.
    public func rendered(as format: ReportFormat) throws -> String {
        switch format {
        case .json: try json()
        case .csv: csv()
        case .table: table()
        }
    }

    private func json() throws -> String {
        struct Document: Encodable {
            let month: String
            let users: [Line]
            let totals: Totals
        }
        struct Line: Encodable {
            let username: String, deleted: Bool, plan: String?, manifestPulls: Int64, blobPulls: Int64, bytesServed: Int64, cacheHitRatio: Double
            let quotaUsedPercent: Double?, peakClientAddresses: Int, likelyShared: Bool
            let dueMinor: [String: Int64], paidMinor: [String: Int64], refundedMinor: [String: Int64]
        }
        struct Totals: Encodable {
            let bytesServed: Int64, upstreamBytes: Int64, bytesSaved: Int64
            let dueMinor: [String: Int64], paidMinor: [String: Int64], refundedMinor: [String: Int64], revenueMinor: [String: Int64]
        }
        let document = Document(
            month: month,
            users: users.map {
                Line(
                    username: $0.username, deleted: $0.deleted, plan: $0.plan, manifestPulls: $0.manifestPulls, blobPulls: $0.blobPulls,
                    bytesServed: $0.bytesServed, cacheHitRatio: Self.rounded($0.hitRatio, 4), quotaUsedPercent: $0.quotaUsedPercent.map { Self.rounded($0, 2) },
                    peakClientAddresses: $0.peakClientAddresses, likelyShared: $0.likelyShared, dueMinor: $0.due, paidMinor: $0.paid, refundedMinor: $0.refunded
                )
            },
            totals: Totals(
                bytesServed: bytesServed, upstreamBytes: upstreamBytes, bytesSaved: bytesSaved,
                dueMinor: due, paidMinor: paid, refundedMinor: refunded, revenueMinor: revenue
            )
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }

    private func csv() -> String {
        func cell(_ amounts: [String: Int64]) -> String {
            amounts.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { "\($0.key):\($0.value)" }.joined(separator: ";")
        }
        var lines = ["username,deleted,plan,manifest_pulls,blob_pulls,bytes_served,cache_hit_ratio,quota_used_percent,peak_client_addresses,likely_shared,due_minor,paid_minor,refunded_minor"]
        for user in users {
            lines.append([
                user.username, user.deleted ? "true" : "false", user.plan ?? "", String(user.manifestPulls), String(user.blobPulls), String(user.bytesServed),
                String(format: "%.4f", user.hitRatio), user.quotaUsedPercent.map { String(format: "%.2f", $0) } ?? "",
                String(user.peakClientAddresses), user.likelyShared ? "true" : "false", cell(user.due), cell(user.paid), cell(user.refunded),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func table() -> String {
        var lines = ["Usage report \(month)", ""]
        let header = ["USER", "PLAN", "PULLS", "SERVED", "HIT %", "QUOTA %", "IPS/DAY", "DUE", "PAID", "REFUNDED", ""]
        var rows = [header]
        for user in users {
            rows.append([
                user.displayName, user.plan ?? "-", String(user.manifestPulls), Self.bytes(user.bytesServed),
                String(format: "%.1f", user.hitRatio * 100), user.quotaUsedPercent.map { String(format: "%.1f", $0) } ?? "-",
                "\(user.peakClientAddresses)\(user.maxClientAddresses.map { "/\($0)" } ?? "")",
                Money.format(user.due), Money.format(user.paid), Money.format(user.refunded), user.likelyShared ? "SHARED?" : "",
            ])
        }
        let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            lines.append(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
        }
        lines.append("")
        lines.append("served \(Self.bytes(bytesServed)), fetched from upstreams \(Self.bytes(upstreamBytes)), saved by the cache \(Self.bytes(bytesSaved))")
        lines.append("due \(Money.format(due)); paid \(Money.format(paid)); refunded \(Money.format(refunded))")
        lines.append("revenue \(Money.format(revenue))")
        return lines.joined(separator: "\n") + "\n"
    }

    static func rounded(_ value: Double, _ places: Int) -> Double {
        let scale = pow(10, Double(places))
        return (value * scale).rounded() / scale
    }
}
