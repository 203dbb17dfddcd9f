import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation
import PaymentProviders

extension PaymentCommand {
    struct Inbox: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Provider notifications kept for a person: orphans, rejected ones, refunds waiting for their payment.")
        @OptionGroup var config: ConfigOptions
        @Option(help: "Only this outcome: orphan, rejected, waiting, applied or ignored.") var outcome: String?
        @Option(help: "How many, newest first (1-10000).") var limit = 100
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard (1...10_000).contains(limit) else { throw CommandError("--limit: \(limit) is not between 1 and 10000") }
            let outcomes: [InboxOutcome]
            if let outcome {
                guard let chosen = InboxOutcome(rawValue: outcome) else {
                    throw CommandError("--outcome: use \(InboxOutcome.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                outcomes = [chosen]
            } else {
                outcomes = InboxOutcome.needingAttention
            }
            let limit = limit
            let events = try await config.withBilling { billing, _ in try await billing.inbox(outcomes: outcomes, limit: limit) }
            if json { return try printJSON(events) }
            guard !events.isEmpty else { return print("nothing needs you: no \(outcomes.map(\.rawValue).joined(separator: ", ")) events") }
            var rows = [["ID", "PROVIDER", "EVENT", "OUTCOME", "ORDER", "AMOUNT", "RECEIVED (UTC)", "DELIVERIES", "DETAIL"]]
            for event in events {
                let amount = event.amountMinor.flatMap { minor in event.currency.map { Money.format(minor, $0) } } ?? "-"
                rows.append([
                    String(event.id), event.provider, event.eventType, event.outcome.rawValue, event.orderNumber ?? "-", amount, formatDate(event.receivedAt),
                    String(event.deliveries), event.detail,
                ])
            }
            printTable(rows)
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Credit an orphan (or rejected) payment notification to a user, as a payment for a plan and months.")
        @OptionGroup var config: ConfigOptions
        @Argument(help: "The event's id (ferry payment inbox).") var event: Int64
        @Option(help: "The user who paid.") var user: String
        @Option(help: "The plan paid for (default: the user's current plan).") var plan: String?
        @Option(help: "Months paid for (1-120).") var months = 1

        func run() async throws {
            try checkMonths(months)
            let (event, user, plan, months) = (event, user, plan, months)
            let resolved = try await config.withInbox { inbox, database in
                let id = try await database.accounts.user(user).id
                return try await inbox.resolve(eventID: event, userID: id, username: user, planName: plan, months: months, actor: cliActor)
            }
            print("event \(resolved.id): \(resolved.outcome.rawValue), \(resolved.detail)")
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a stored notification again with today's configuration (after fixing a key or an id); it cannot count anything twice."
        )
        @OptionGroup var config: ConfigOptions
        @Argument(help: "The event's id (ferry payment inbox).") var event: Int64

        func run() async throws {
            let event = event
            let replayed = try await config.withInbox { inbox, _ in try await inbox.replay(eventID: event, actor: cliActor) }
            print("event \(replayed.id): \(replayed.outcome.rawValue), \(replayed.detail)")
        }
    }

    struct Reconcile: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Apply the payments of a provider's statement that no notification brought (after an outage longer than its retries)."
        )
        @OptionGroup var config: ConfigOptions
        @Option(help: "The statement's provider (alipay).") var provider: String
        @Option(help: "The statement: Alipay's trade details CSV (业务明细), converted to UTF-8.") var file: String

        func run() async throws {
            guard provider == PaymentProvider.alipay.rawValue else { throw CommandError("--provider: only alipay statements can be imported") }
            guard let data = FileManager.default.contents(atPath: file) else { throw CommandError("--file: cannot read \(file)") }
            let rows: [AlipayStatementRow]
            do {
                rows = try parseAlipayStatement(data)
            } catch {
                throw CommandError("--file: \(error.reason)")
            }
            let (receipts, refunds) = try await config.withInbox { inbox, _ in try await inbox.reconcile(rows) }
            var counts: [String: Int] = [:]
            for receipt in receipts {
                let key = receipt.duplicate ? "already imported" : receipt.event.detail.contains("already recorded") ? "already recorded" : receipt.event.outcome.rawValue
                counts[key, default: 0] += 1
                if !receipt.duplicate, receipt.event.outcome != .applied || !receipt.event.detail.contains("already recorded") {
                    print("\(receipt.event.outcome.rawValue): \(receipt.event.tradeID ?? "-") \(receipt.event.detail) (event \(receipt.event.id))")
                }
            }
            print("\(receipts.count) payment\(receipts.count == 1 ? "" : "s") in the statement: "
                + counts.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", "))
            for refund in refunds {
                print("refund row not imported: trade \(refund.tradeID), \(refund.amount) (record it with ferry payment refund alipay:\(refund.tradeID) --refund-ref ...)")
            }
        }
    }
}
