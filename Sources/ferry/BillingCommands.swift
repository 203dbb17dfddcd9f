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
        let calendar = BillingCalendar(timeZone: timeZone)
        return try await withAccounts { accounts, client in
            let store = PostgresBillingStore(client: client, logger: Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() }), calendar: calendar)
            return try await body(BillingService(store: store, calendar: calendar, graceDays: graceDays), accounts)
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

    /// `base` with the given options applied; a bad value is a one-line error.
    func apply(to base: Plan) throws -> Plan {
        var plan = base
        if let currency { plan.currency = currency.uppercased() }
        if let price {
            guard let minor = Money.minorUnits(price, currency: plan.currency) else {
                throw BillingError.invalid("--price: \"\(price)\" is not an amount in \(plan.currency) (\(Money.decimals(plan.currency)) decimals)")
            }
            plan.priceMinor = minor
        } else if currency != nil, Money.decimals(plan.currency) != Money.decimals(base.currency) {
            throw BillingError.invalid("--currency: \(plan.currency) has \(Money.decimals(plan.currency)) decimals, \(base.currency) \(Money.decimals(base.currency)): give --price too")
        }
        if let quota {
            guard let bytes = ConfigValues.parseByteCount(quota) else { throw BillingError.invalid("--quota: \"\(quota)\" is not a size like 50GiB") }
            plan.monthlyQuotaBytes = bytes
        }
        if let rpm { plan.requestsPerMinute = rpm }
        if let manifestPulls {
            let parts = manifestPulls.split(separator: "/")
            guard parts.count == 2, let count = Int(parts[0]), let window = ConfigValues.parseDuration(String(parts[1])) else {
                throw BillingError.invalid("--manifest-pulls: \"\(manifestPulls)\" is not like 200/6h")
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
        commandName: "subscription", abstract: "Manage subscriptions.", subcommands: [Start.self, Renew.self, Cancel.self, ChangePlan.self, Show.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Subscribe a user to a plan from today (refused while paid time remains).")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Option var plan: String
        @Option var months = 1

        func run() async throws {
            let subscription = try await database.withBilling { billing, accounts in
                try await billing.start(userID: try await accounts.user(user).id, username: user, planName: plan, months: months)
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

    struct ChangePlan: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-plan", abstract: "Move a subscription to another plan from its next billing period (the current period keeps its plan and price)."
        )
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Argument var plan: String

        func run() async throws {
            let (_, effective) = try await database.withBilling { billing, accounts in
                try await billing.changePlan(userID: try await accounts.user(user).id, username: user, planName: plan)
            }
            print("\(user) moves to \(plan) from \(effective)")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a user's subscription and its billing periods.")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            struct Period: Codable { let start: String; let end: String; let plan: String; let due: String }
            struct Shown: Codable {
                let user: String; let plan: String; let status: String; let periodStart: String; let periodEnd: String; let periods: [Period]
            }
            let shown = try await database.withBilling { billing, accounts -> Shown in
                let id = try await accounts.user(user).id
                guard let subscription = try await billing.store.subscription(userID: id) else { throw BillingError.notFound("\(user) has no subscription") }
                let plan = try await billing.store.plan(id: subscription.planID)
                let periods = try await billing.store.charges(userID: id).map {
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

/// `ferry payment …`: money received and given back.
struct PaymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "payment", abstract: "Record payments and refunds.", subcommands: [Record.self, Refund.self, List.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a payment and extend the subscription (idempotent per --ref, across all users).")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Argument(help: "Amount, e.g. 3.00 (in --currency, by default the plan's).") var amount: String
        @Option(help: "Payment reference (order number); unique across all users; recording it twice changes nothing.") var ref: String
        @Option(help: "Months paid for.") var months = 1
        @Option(help: "Plan: starts a subscription, or changes the plan from the next period.") var plan: String?
        @Option(help: "Three-letter currency of the amount (default: the plan's).") var currency: String?

        func run() async throws {
            let (amount, ref, months, plan, currency) = (amount, ref, months, plan, currency)
            let (outcome, minor, paidIn) = try await database.withBilling { billing, accounts in
                try await billing.recordPayment(
                    userID: try await accounts.user(user).id, username: user, amount: amount, currency: currency, reference: ref, months: months, planName: plan
                )
            }
            guard outcome.recorded else { return print("payment \(ref) was already recorded; nothing changed") }
            print("recorded \(Money.format(minor, paidIn)) from \(user); paid until \(outcome.subscription?.periodEnd.description ?? "-")")
            if let expected = outcome.expectedMinor {
                print("note: \(months) month\(months == 1 ? "" : "s") of the plan cost \(Money.format(expected, paidIn)), not \(Money.format(minor, paidIn))")
            }
        }
    }

    struct Refund: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a refund of a payment, in its currency (the subscription is not changed; cancel it if access should end).")
        @OptionGroup var database: DatabaseOptions
        @Argument(help: "The payment's reference.") var ref: String
        @Option(help: "Amount to refund (default: all that is left of the payment).") var amount: String?
        @Option(help: "Why (kept with the refund).") var reason: String?

        func run() async throws {
            let (ref, amount, reason) = (ref, amount, reason)
            let refund = try await database.withBilling { billing, _ -> Billing.Refund in
                var minor: Int64?
                if let amount {
                    let currency = try await billing.store.paymentCurrency(reference: ref)
                    guard let parsed = Money.minorUnits(amount, currency: currency), parsed > 0 else {
                        throw BillingError.invalid("--amount: \"\(amount)\" is not an amount in \(currency)")
                    }
                    minor = parsed
                }
                return try await billing.refund(reference: ref, amountMinor: minor, reason: reason)
            }
            print("refunded \(Money.format(refund.amountMinor, refund.currency)) of payment \(ref)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a user's payments and what was refunded of each.")
        @OptionGroup var database: DatabaseOptions
        @Argument var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let payments = try await database.withBilling { billing, accounts in try await billing.store.payments(userID: try await accounts.user(user).id) }
            if json { return try printJSON(payments) }
            print("REFERENCE             PAID AT           AMOUNT          MONTHS  REFUNDED")
            for payment in payments {
                print([
                    payment.reference.padding(toLength: 22, withPad: " ", startingAt: 0),
                    formatDate(payment.paidAt).padding(toLength: 18, withPad: " ", startingAt: 0),
                    Money.format(payment.amountMinor, payment.currency).padding(toLength: 16, withPad: " ", startingAt: 0),
                    String(payment.months).padding(toLength: 8, withPad: " ", startingAt: 0),
                    payment.refundedMinor > 0 ? Money.format(payment.refundedMinor, payment.currency) : "-",
                ].joined())
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
        @Option(help: "How many rows (1 to 10000).") var limit = 20

        func validate() throws {
            guard (1...10_000).contains(limit) else { throw ValidationError("--limit: \(limit) is not between 1 and 10000") }
        }

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
