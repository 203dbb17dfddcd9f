import Foundation

extension BookEntry {
    /// The month's transactions as CSV, times in `timeZone` (ISO 8601 with the offset),
    /// amounts with the currency's decimals and in minor units. Text cells are quoted
    /// when needed, and one starting with `=`, `+`, `-` or `@` gets a leading `'` so a
    /// spreadsheet does not run it.
    public static func csv(_ entries: [BookEntry], timeZone: TimeZone) -> String {
        var lines = ["kind,time,username,deleted,provider,reference,refund_reference,order_number,amount,currency,amount_minor,recorded_by"]
        for entry in entries {
            let amount = Money.format(entry.amountMinor, entry.currency).split(separator: " ")[0]
            lines.append([
                entry.kind.rawValue, time(entry.at, in: timeZone), text(entry.username), entry.deleted ? "true" : "false", text(entry.provider),
                text(entry.reference), text(entry.refundReference ?? ""), text(entry.orderNumber ?? ""), String(amount), entry.currency,
                String(entry.amountMinor), text(entry.recordedBy ?? ""),
            ].joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// `2026-12-01T07:30:10+08:00`.
    public static func time(_ date: Date, in timeZone: TimeZone) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = timeZone
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    private static func text(_ value: String) -> String {
        var value = value
        if let first = value.first, "=+-@".contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
