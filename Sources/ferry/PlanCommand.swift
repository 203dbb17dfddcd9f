import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

/// `ferry plan …`
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Manage plans.", subcommands: [Add.self, List.self, Edit.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a plan.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String
        @OptionGroup var options: PlanOptions

        func run() async throws {
            guard options.price != nil, options.quota != nil else { throw ValidationError("a new plan needs --price and --quota") }
            let template = Plan(name: name, priceMinor: 0, currency: "CNY", monthlyQuotaBytes: 0, requestsPerMinute: 600, manifestPullsPerWindow: 200,
                                manifestWindowSeconds: 21600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3)
            let plan = try options.apply(to: template)
            let saved = try await config.withBilling { billing, _ in try await billing.addPlan(plan, actor: cliActor) }
            print("added plan \(saved.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List plans.")
        @OptionGroup var config: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let plans = try await config.withBilling { billing, _ in try await billing.plans() }
            if json { return try printJSON(plans) }
            print("NAME          PRICE         QUOTA       RPM    MANIFEST PULLS   CONCURRENCY  IPS/DAY")
            for plan in plans {
                print([
                    plan.name.padding(toLength: 14, withPad: " ", startingAt: 0),
                    UsageReport.money(plan.priceMinor, plan.currency).padding(toLength: 14, withPad: " ", startingAt: 0),
                    UsageReport.bytes(plan.monthlyQuotaBytes).padding(toLength: 12, withPad: " ", startingAt: 0),
                    String(plan.requestsPerMinute).padding(toLength: 7, withPad: " ", startingAt: 0),
                    "\(plan.manifestPullsPerWindow)/\(Self.window(plan.manifestWindowSeconds))".padding(toLength: 17, withPad: " ", startingAt: 0),
                    String(plan.maxConcurrentDownloads).padding(toLength: 13, withPad: " ", startingAt: 0),
                    String(plan.maxClientAddressesPerDay),
                ].joined())
            }
        }

        /// `6h`, `30m`, `90s`.
        static func window(_ seconds: Int) -> String {
            if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
            if seconds % 60 == 0 { return "\(seconds / 60)m" }
            return "\(seconds)s"
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a plan's price or limits.")
        @OptionGroup var config: ConfigOptions
        @Argument var name: String
        @OptionGroup var options: PlanOptions

        func run() async throws {
            let options = self.options
            let saved = try await config.withBilling { billing, _ in try await billing.editPlan(named: name, actor: cliActor) { try options.apply(to: $0) } }
            print("updated plan \(saved.name)")
        }
    }
}
