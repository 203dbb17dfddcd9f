import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

/// `ferry payment …`: money received and given back.
struct PaymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "payment", abstract: "Record payments and refunds.", subcommands: [Record.self, Refund.self, List.self])

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a payment and extend the subscription (idempotent per --ref, across all users).")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Argument(help: "Amount, e.g. 3.00 (in --currency, by default the plan's).") var amount: String
        @Option(help: "Payment reference (order number); unique across all users; recording it twice changes nothing.") var ref: String
        @Option(help: "Months paid for.") var months = 1
        @Option(help: "Plan: starts a subscription, or changes the plan from the next period.") var plan: String?
        @Option(help: "Three-letter currency of the amount (default: the plan's).") var currency: String?

        func run() async throws {
            let (amount, ref, months, plan, currency) = (amount, ref, months, plan, currency)
            let (outcome, minor, paidIn) = try await config.withBilling { billing, accounts in
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
        @OptionGroup var config: ConfigOptions
        @Argument(help: "The payment's reference.") var ref: String
        @Option(help: "Amount to refund (default: all that is left of the payment).") var amount: String?
        @Option(help: "Why (kept with the refund).") var reason: String?

        func run() async throws {
            let (ref, amount, reason) = (ref, amount, reason)
            let refund = try await config.withBilling { billing, _ -> Billing.Refund in
                var minor: Int64?
                if let amount {
                    let currency = try await billing.paymentCurrency(reference: ref)
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
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let payments = try await config.withBilling { billing, accounts in try await billing.payments(userID: try await accounts.user(user).id) }
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
