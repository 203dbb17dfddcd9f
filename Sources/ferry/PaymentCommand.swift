import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

/// `ferry payment …`: money received and given back, and the inbox of provider notifications.
struct PaymentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "payment", abstract: "Record payments and refunds; the provider inbox; the month's export.",
        subcommands: [Record.self, Refund.self, List.self, Inbox.self, Resolve.self, Replay.self, Export.self, Reconcile.self]
    )

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a payment and extend the subscription (idempotent per --ref, across all users).")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Argument(help: "Amount, e.g. 3.00 (in --currency, by default the plan's).") var amount: String
        @Option(help: "Payment reference (order number); unique across all users; recording it twice changes nothing.") var ref: String
        @Option(help: "Months paid for (1-120).") var months = 1
        @Option(help: "Plan: starts a subscription, or changes the plan from the next period.") var plan: String?
        @Option(help: "ISO 4217 currency of the amount (default: the plan's).") var currency: String?
        @Option(name: .customLong("paid-at"), help: "When it was paid, e.g. 2026-11-30T23:50:00+08:00 (default now): it counts in that month and extends the subscription as of that day.")
        var paidAt: String?

        func run() async throws {
            try checkMonths(months)
            let paidAt = try parsePaidAt(paidAt)
            let (user, amount, ref, months, plan, currency) = (user, amount, ref, months, plan, currency)
            let (outcome, minor, paidIn) = try await config.withBilling { billing, accounts in
                try await billing.recordPayment(
                    userID: try await accounts.user(user).id, username: user, amount: amount, currency: currency, reference: ref, months: months, planName: plan,
                    paidAt: paidAt, actor: cliActor
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
        static let configuration = CommandConfiguration(
            abstract: "Record a refund of a payment, in its currency, once per --refund-ref (return the money in the provider's console first)."
        )
        @OptionGroup var config: ConfigOptions
        @Argument(help: "The payment's reference.") var ref: String
        @Option(name: .customLong("refund-ref"), help: "The refund's own reference (e.g. the provider's refund number): running the same command again changes nothing.")
        var refundRef: String
        @Option(help: "Amount to refund (default: all that is left of the payment).") var amount: String?
        @Option(help: "Why (kept with the refund).") var reason: String?
        @Flag(name: .customLong("end-access"), help: "Also end the subscription today and give back the months not started.") var endAccess = false

        func run() async throws {
            let (ref, refundRef, amount, reason, endAccess) = (ref, refundRef, amount, reason, endAccess)
            let outcome = try await config.withBilling { billing, _ -> RefundOutcome in
                var minor: Int64?
                if let amount {
                    let currency = try await billing.paymentCurrency(reference: ref)
                    guard let parsed = Money.minorUnits(amount, currency: currency), parsed > 0 else {
                        throw BillingError.invalid("--amount: \"\(amount)\" is not an amount in \(currency)")
                    }
                    minor = parsed
                }
                return try await billing.refund(reference: ref, refundReference: refundRef, amountMinor: minor, reason: reason, endAccess: endAccess, actor: cliActor)
            }
            let refund = outcome.refund
            guard outcome.recorded else {
                return print("refund \(refundRef) was already recorded (\(Money.format(refund.amountMinor, refund.currency)) of payment \(refund.reference)); nothing changed")
            }
            print("refunded \(Money.format(refund.amountMinor, refund.currency)) of payment \(ref)")
            if let subscription = outcome.subscription { print("access ends on \(subscription.periodEnd)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the payments of everyone who had this name (deleted users too), with what was refunded of each.")
        @OptionGroup var config: ConfigOptions
        @Argument var user: String
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let user = user
            let payments = try await config.withBilling { billing, _ in try await billing.payments(username: user) }
            if json { return try printJSON(payments) }
            var rows = [["RECEIPT", "REFERENCE", "PAID AT (UTC)", "AMOUNT", "MONTHS", "COVERS", "REFUNDED", "BY"]]
            for payment in payments {
                rows.append([
                    payment.receiptNumber, payment.reference, formatDate(payment.paidAt), Money.format(payment.amountMinor, payment.currency), String(payment.months),
                    payment.coversFrom.map { "\($0) to \(payment.coversTo?.description ?? "-")" } ?? "-",
                    payment.refundedMinor > 0 ? Money.format(payment.refundedMinor, payment.currency) : "-", payment.recordedBy ?? "-",
                ])
            }
            printTable(rows)
        }
    }
}
