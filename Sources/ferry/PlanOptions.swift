import Accounts
import ArgumentParser
import Billing
import FerryServer
import Foundation

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
