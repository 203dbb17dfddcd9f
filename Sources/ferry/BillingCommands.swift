import Accounts
import ArgumentParser
import Billing
import Foundation
import Logging
import PostgresNIO

extension DatabaseOptions {
    /// Runs `body` with the billing and account services over PostgreSQL.
    func withBilling<T: Sendable>(_ body: @Sendable (BillingService, AccountService) async throws -> T) async throws -> T {
        let (_, _, values) = try await load()
        let zoneName = values.string("billing.time-zone", default: "UTC")
        guard let timeZone = TimeZone(identifier: zoneName) else { throw ConfigurationError("billing.time-zone: \"\(zoneName)\" is not a time zone") }
        let graceDays = try values.int("billing.grace-days", default: 3, range: 0...60)
        return try await withAccounts { accounts, client in
            let store = PostgresBillingStore(client: client, logger: Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() }))
            return try await body(BillingService(store: store, calendar: BillingCalendar(timeZone: timeZone), graceDays: graceDays), accounts)
        }
    }
}

/// Options describing a plan's price and limits.
struct PlanOptions: ParsableArguments {
    @Option(help: "Monthly price, e.g. 3.00.") var price: String?
    @Option(help: "Three-letter currency code, e.g. CNY.") var currency: String?
    @Option(help: "Monthly transfer quota, e.g. 50GiB.") var quota: String?
    @Option(help: "Requests per minute.") var rpm: Int?
    @Option(name: .customLong("manifest-pulls"), help: "Manifest pulls per window, e.g. 200/6h.") var manifestPulls: String?
    @Option(help: "Concurrent blob downloads.") var concurrency: Int?
    @Option(help: "Distinct client addresses per day before the account is flagged as shared.") var ips: Int?

    /// `base` with the given options applied.
    func apply(to base: Plan) throws -> Plan {
        var plan = base
        if let price {
            guard let minor = BillingService.minorUnits(price) else { throw ValidationError("--price: \"\(price)\" is not an amount like 3.00") }
            plan.priceMinor = minor
        }
        if let currency { plan.currency = currency.uppercased() }
        if let quota {
            guard let bytes = ConfigValues.parseByteCount(quota) else { throw ValidationError("--quota: \"\(quota)\" is not a size like 50GiB") }
            plan.monthlyQuotaBytes = bytes
        }
        if let rpm { plan.requestsPerMinute = rpm }
        if let manifestPulls {
            let parts = manifestPulls.split(separator: "/")
            guard parts.count == 2, let count = Int(parts[0]), let window = ConfigValues.parseDuration(String(parts[1])) else {
                throw ValidationError("--manifest-pulls: \"\(manifestPulls)\" is not like 200/6h")
            }
            plan.manifestPullsPerWindow = count
            plan.manifestWindowSeconds = Int(window.components.seconds)
        }
        if let concurrency { plan.maxConcurrentDownloads = concurrency }
        if let ips { plan.maxClientAddressesPerDay = ips }
        return plan
    }
}

/// `ferry plan …`
struct PlanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plan", abstract: "Manage plans.", subcommands: [Add.self, List.self, Edit.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a plan.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        @OptionGroup var options: PlanOptions

        func run() async throws {
            guard options.price != nil, options.quota != nil else { throw ValidationError("a new plan needs --price and --quota") }
            let template = Plan(name: name, priceMinor: 0, currency: "CNY", monthlyQuotaBytes: 0, requestsPerMinute: 600, manifestPullsPerWindow: 200,
                                manifestWindowSeconds: 21600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3)
            let plan = try options.apply(to: template)
            let saved = try await database.withBilling { billing, _ in
                if try await billing.store.plan(named: name) != nil { throw BillingError.conflict("plan \(name) already exists: use plan edit") }
                return try await billing.store.save(plan)
            }
            print("added plan \(saved.name)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List plans.")
        @OptionGroup var database: DatabaseOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let plans = try await database.withBilling { billing, _ in try await billing.store.plans() }
            if json { return try printJSON(plans) }
            print("NAME          PRICE         QUOTA       RPM    MANIFEST PULLS   CONCURRENCY  IPS/DAY")
            for plan in plans {
                print([
                    plan.name.padding(toLength: 14, withPad: " ", startingAt: 0),
                    UsageReport.money(plan.priceMinor, plan.currency).padding(toLength: 14, withPad: " ", startingAt: 0),
                    UsageReport.bytes(plan.monthlyQuotaBytes).padding(toLength: 12, withPad: " ", startingAt: 0),
                    String(plan.requestsPerMinute).padding(toLength: 7, withPad: " ", startingAt: 0),
                    "\(plan.manifestPullsPerWindow)/\(plan.manifestWindowSeconds / 3600)h".padding(toLength: 17, withPad: " ", startingAt: 0),
                    String(plan.maxConcurrentDownloads).padding(toLength: 13, withPad: " ", startingAt: 0),
                    String(plan.maxClientAddressesPerDay),
                ].joined())
            }
        }
    }

    struct Edit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change a plan's price or limits.")
        @OptionGroup var database: DatabaseOptions
        @Argument var name: String
        @OptionGroup var options: PlanOptions

        func run() async throws {
            let options = self.options
            let saved = try await database.withBilling { billing, _ in
                try await billing.store.save(try options.apply(to: try await billing.plan(named: name)))
            }
            print("updated plan \(saved.name)")
        }
    }
}

/// `ferry subscription …`
struct SubscriptionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "subscription", abstract: "Manage subscriptions.", subcommands: [Start.self, Renew.self, Cancel.self, Show.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a user to a plan from today.")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Option var plan: String
        @Option var months = 1

        func run() async throws {
            let subscription = try await database.withBilling { billing, accounts in
                try await billing.start(userID: try await accounts.user(user).id, planName: plan, months: months)
            }
            print("\(user) subscribed to \(plan) until \(subscription.periodEnd)")
        }
    }

    struct Renew: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Extend a subscription.")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Option var months = 1

        func run() async throws {
            let subscription = try await database.withBilling { billing, accounts in
                try await billing.renew(userID: try await accounts.user(user).id, months: months, username: user)
            }
            print("\(user) renewed until \(subscription.periodEnd)")
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel: access continues to the end of the period.")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String

        func run() async throws {
            let subscription = try await database.withBilling { billing, accounts in
                try await billing.cancel(userID: try await accounts.user(user).id, username: user)
            }
            print("cancelled; \(user) keeps access until \(subscription.periodEnd)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user's subscription.")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            struct Shown: Codable { let user: String; let plan: String; let status: String; let periodStart: String; let periodEnd: String }
            let shown = try await database.withBilling { billing, accounts -> Shown in
                let id = try await accounts.user(user).id
                guard let subscription = try await billing.store.subscription(userID: id) else { throw BillingError.notFound("\(user) has no subscription") }
                let plan = try await billing.store.plan(id: subscription.planID)
                return Shown(user: user, plan: plan?.name ?? "?", status: billing.status(subscription).rawValue,
                             periodStart: subscription.periodStart.description, periodEnd: subscription.periodEnd.description)
            }
            if json { return try printJSON(shown) }
            print("\(shown.user): \(shown.plan), \(shown.status), \(shown.periodStart) to \(shown.periodEnd)")
        }
    }
}

/// `ferry payment record …`
struct PaymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "payment", abstract: "Record payments.", subcommands: [Record.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a payment and extend the subscription (idempotent per --ref).")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Argument(help: "Amount, e.g. 3.00, in the plan's currency.") var amount: String
        @Option(help: "Payment reference (order number); recording it twice changes nothing.") var ref: String
        @Option(help: "Months paid for.") var months = 1
        @Option(help: "Plan to start when the user has no subscription yet.") var plan: String?

        func run() async throws {
            guard let minor = BillingService.minorUnits(amount), minor > 0 else { throw ValidationError("amount: \"\(amount)\" is not an amount like 3.00") }
            let (recorded, subscription) = try await database.withBilling { billing, accounts in
                try await billing.recordPayment(userID: try await accounts.user(user).id, username: user, amountMinor: minor, reference: ref, months: months, planName: plan)
            }
            if recorded {
                print("recorded \(amount) from \(user); paid until \(subscription?.periodEnd.description ?? "-")")
            } else {
                print("payment \(ref) was already recorded; nothing changed")
            }
        }
    }
}

/// `ferry usage …`
struct UsageCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "usage", abstract: "Usage reports.", subcommands: [Report.self, Top.self])

    struct Report: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Monthly report: usage, quota, sharing, amounts due and paid.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Month, YYYY-MM.") var month: String
        @Option(help: "Only this user.") var user: String?
        @Option(help: "table, csv or json.") var format: String = "table"

        func run() async throws {
            guard let range = BillingCalendar.monthRange(month) else { throw ValidationError("--month: \"\(month)\" is not YYYY-MM") }
            guard let format = ReportFormat(rawValue: format) else { throw ValidationError("--format: use table, csv or json") }
            let (month, user) = (month, user)
            let report = try await database.withBilling { billing, accounts in
                if let user { _ = try await accounts.user(user) }
                return try await billing.store.report(
                    month: month, first: range.first, next: range.next,
                    monthStart: billing.calendar.start(of: range.first), monthEnd: billing.calendar.start(of: range.next), username: user
                )
            }
            print(try report.rendered(as: format), terminator: "")
        }
    }

    struct Top: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The month's largest consumers by bytes served.")
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Month, YYYY-MM.") var month: String
        @Option(help: "user, repo or upstream.") var by: String = "user"
        @Option(help: "How many rows.") var limit = 20

        func run() async throws {
            guard let range = BillingCalendar.monthRange(month) else { throw ValidationError("--month: \"\(month)\" is not YYYY-MM") }
            guard let dimension = PostgresBillingStore.TopDimension(rawValue: by) else { throw ValidationError("--by: use user, repo or upstream") }
            let limit = limit
            let rows = try await database.withBilling { billing, _ in
                try await billing.store.top(by: dimension, first: range.first, next: range.next, limit: limit)
            }
            for row in rows {
                print("\(UsageReport.bytes(row.bytes).padding(toLength: 12, withPad: " ", startingAt: 0)) \(String(row.pulls).padding(toLength: 8, withPad: " ", startingAt: 0)) \(row.name)")
            }
        }
    }
}
