import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

/// `ferry usage …`
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage", abstract: "Usage reports.", subcommands: [Report.self, Top.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Monthly report: usage, quota, sharing, amounts due and paid.")
        @OptionGroup var config: ConfigOptions
        @Option(help: "Month, YYYY-MM (default: the current month in the billing time zone).") var month: String?
        @Option(help: "Only the users who had this name (deleted ones too).") var user: String?
        @Option(help: "table, csv or json.") var format: String = "table"

        func run() async throws {
            if let month, BillingCalendar.monthRange(month) == nil { throw CommandError("--month: \"\(month)\" is not YYYY-MM") }
            guard let format = ReportFormat(rawValue: format) else { throw CommandError("--format: use table, csv or json") }
            let (month, user) = (month, user)
            let report = try await config.withBilling { billing, _ in
                if let user { try await billing.checkKnown(user) }
                return try await billing.monthlyReport(month: month, username: user)
            }
            print(try report.rendered(as: format), terminator: "")
        }
    }

    struct Top: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The month's largest consumers by bytes served.")
        @OptionGroup var config: ConfigOptions
        @Option(help: "Month, YYYY-MM.") var month: String
        @Option(help: "user, repo or upstream.") var by: String = "user"
        @Option(help: "How many rows (1 to 10000).") var limit = 20

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit: \(limit) is not between 1 and 10000") }
        }

        func run() async throws {
            guard BillingCalendar.monthRange(month) != nil else { throw ValidationError("--month: \"\(month)\" is not YYYY-MM") }
            guard let dimension = TopDimension(rawValue: by) else { throw ValidationError("--by: use user, repo or upstream") }
            let (month, limit) = (month, limit)
            let rows = try await config.withBilling { billing, _ in try await billing.top(by: dimension, month: month, limit: limit) }
            for row in rows {
                print("\(UsageReport.bytes(row.bytes).padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(row.pulls).padding(toLength: 8, withPad: " ", startingAt: 0)) \(row.name)")
            }
        }
    }
}
