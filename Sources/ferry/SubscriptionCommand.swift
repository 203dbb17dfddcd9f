import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

/// `ferry subscription …`
struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription", abstract: "Manage subscriptions.", subcommands: [Start.self, Renew.self, Cancel.self, ChangePlan.self, Show.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a user to a plan from today (refused while paid time remains).")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Option var plan: String
        @Option var months = 1

        func run() async throws {
            let subscription = try await config.withBilling { billing, accounts in
                try await billing.start(userID: try await accounts.user(user).id, username: user, planName: plan, months: months)
            }
            print("\(user) subscribed to \(plan) until \(subscription.periodEnd)")
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Extend a subscription.")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Option var months = 1

        func run() async throws {
            let subscription = try await config.withBilling { billing, accounts in
                try await billing.renew(userID: try await accounts.user(user).id, months: months, username: user)
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
                try await billing.cancel(userID: try await accounts.user(user).id, username: user)
            }
            print("cancelled; \(user) keeps access until \(subscription.periodEnd)")
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
                try await billing.changePlan(userID: try await accounts.user(user).id, username: user, planName: plan)
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
}
