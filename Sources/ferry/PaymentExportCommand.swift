import ArgumentParser
import Billing
import FerryServer
import Foundation

extension PaymentCommand {
    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every payment and refund of a month, with provider, reference, order, user, amount, currency and time in the billing time zone."
        )
        @OptionGroup var config: ConfigOptions
        @Option(help: "Month, YYYY-MM (default: the current month in the billing time zone).") var month: String?
        @Option(help: "csv or json.") var format = "csv"

        func run() async throws {
            if let month, BillingCalendar.monthRange(month) == nil { throw CommandError("--month: \"\(month)\" is not YYYY-MM") }
            guard ["csv", "json"].contains(format) else { throw CommandError("--format: use csv or json") }
            let month = month
            let (entries, zone) = try await config.withBilling { billing, _ in (try await billing.transactions(month: month).entries, billing.calendar.timeZone) }
            if format == "csv" { return print(BookEntry.csv(entries, timeZone: zone), terminator: "") }
            struct Line: Encodable {
                let kind: String, time: String, username: String, deleted: Bool, provider: String, reference: String, refundReference: String?
                let orderNumber: String?, amountMinor: Int64, currency: String, recordedBy: String?
            }
            try printJSON(entries.map {
                Line(
                    kind: $0.kind.rawValue, time: BookEntry.time($0.at, in: zone), username: $0.username, deleted: $0.deleted, provider: $0.provider,
                    reference: $0.reference, refundReference: $0.refundReference, orderNumber: $0.orderNumber, amountMinor: $0.amountMinor, currency: $0.currency,
                    recordedBy: $0.recordedBy
                )
            })
        }
    }
}
