import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

/// `ferry subscription …`
struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription", abstract: "Manage subscriptions.", subcommands: [Start.self, Renew.self, Cancel.self, End.self, ChangePlan.self, Show.self, List.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a user to a plan from today (refused while paid time remains).")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Option var plan: String
        @Option(help: "Months (1-120).") var months = 1

        func run() async throws {
            try checkMonths(months)
            let subscription = try await config.withBilling { billing, accounts in
                try await billing.start(userID: try await accounts.user(user).id, username: user, planName: plan, months: months, actor: cliActor)
            }
            print("\(user) subscribed to \(plan) until \(subscription.periodEnd)")
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Extend a subscription.")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Option(help: "Months (1-120).") var months = 1

        func run() async throws {
            try checkMonths(months)
            let subscription = try await config.withBilling { billing, accounts in
                try await billing.renew(userID: try await accounts.user(user).id, months: months, username: user, actor: cliActor)
            }
            print("\(user) renewed until \(subscription.periodEnd)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel: access continues to the end of the period.")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String

        func run() async throws {
            let subscription = try await config.withBilling { billing, accounts in
                try await billing.cancel(userID: try await accounts.user(user).id, username: user, actor: cliActor)
            }
            print("cancelled; \(user) keeps access until \(subscription.periodEnd)")
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "End a subscription on a day (default today): no access from then, no grace; periods not started are no longer due."
        )
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Option(help: "The day access ends, YYYY-MM-DD (default today in the billing time zone).") var on: String?

        func run() async throws {
            var day: CalendarDay?
            if let on {
                guard let parsed = CalendarDay(on) else { throw CommandError("--on: \"\(on.prefix(20))\" is not a day like 2026-12-15") }
                day = parsed
            }
            let (user, endDay) = (user, day)
            let subscription = try await config.withBilling { billing, accounts in
                try await billing.end(userID: try await accounts.user(user).id, username: user, on: endDay, actor: cliActor)
            }
            print("\(user) has access until \(subscription.periodEnd) (exclusive), without grace days")
        }
    }

    struct ChangePlan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-plan", abstract: "Move a subscription to another plan from its next billing period (the current period keeps its plan and price)."
        )
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Argument var plan: String

        func run() async throws {
            let (_, effective) = try await config.withBilling { billing, accounts in
                try await billing.changePlan(userID: try await accounts.user(user).id, username: user, planName: plan, actor: cliActor)
            }
            print("\(user) moves to \(plan) from \(effective)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user's subscription and its billing periods.")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            struct Period: Codable { let start: String; let end: String; let plan: String; let due: String }
            struct Shown: Codable {
                let user: String; let plan: String; let status: String; let periodStart: String; let periodEnd: String; let periods: [Period]
            }
            let shown = try await config.withBilling { billing, accounts -> Shown in
                let id = try await accounts.user(user).id
                guard let (subscription, plan, charges) = try await billing.subscriptionDetails(userID: id) else { throw BillingError.notFound("\(user) has no subscription") }
                let periods = charges.map {
                    Period(start: $0.periodStart.description, end: $0.periodEnd.description, plan: $0.planName, due: Money.format($0.amountMinor, $0.currency))
                }
                return Shown(user: user, plan: plan?.name ?? "?", status: billing.status(subscription).rawValue,
                             periodStart: subscription.periodStart.description, periodEnd: subscription.periodEnd.description, periods: periods)
            }
            if json { return try printJSON(shown) }
            print("\(shown.user): \(shown.plan), \(shown.status), \(shown.periodStart) to \(shown.periodEnd)")
            for period in shown.periods { print("  \(period.start) to \(period.end)  \(period.plan)  \(period.due)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscriptions whose paid time ends soon (and those in their grace days): who to remind.")
        @OptionGroup var config: ConfigOptions
        @Option(help: "How far ahead, e.g. 7d (0d-366d).") var expiring = "7d"
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            guard let window = ConfigValues.parseDuration(expiring), window.components.seconds % 86400 == 0, window.components.seconds <= 366 * 86400 else {
                throw CommandError("--expiring: \"\(expiring.prefix(20))\" is not a number of days like 7d")
            }
            let days = Int(window.components.seconds / 86400)
            let (found, today) = try await config.withBilling { billing, _ in (try await billing.expiring(withinDays: days), billing.today) }
            if json { return try printJSON(found) }
            guard !found.isEmpty else { return print("no subscription ends within \(days) days") }
            var rows = [["USER", "EMAIL", "PLAN", "PAID UNTIL", "STATE"]]
            for subscription in found {
                let state = subscription.cancelled ? "cancelled" : subscription.periodEnd <= today ? "in grace" : "renews if paid"
                rows.append([subscription.username, subscription.email ?? "-", subscription.plan, subscription.periodEnd.description, state])
            }
            printTable(rows)
        }
    }
}
