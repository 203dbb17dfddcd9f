import Foundation

/// Payments recorded by hand (`ferry payment record`, the operator view's form).
extension BillingService {
    /// What recording a payment did.
    public struct PaymentOutcome: Sendable {
        /// False when the reference was recorded before (nothing changed).
        public let recorded: Bool
        /// The subscription after the payment.
        public let subscription: Subscription?
        /// The price of the months paid for, in the plan's currency, when the payment is
        /// in that currency and differs from it (the operator may want to look).
        public let expectedMinor: Int64?
    }

    /// Records a payment and extends the subscription by `months` as of the day it was
    /// paid (`paidAt`, default now: a payment typed in late still counts in its own month
    /// and continues the period it was paid in, billing review B10); with no subscription
    /// yet (or one expired on that day), starts one on `planName` (or the old plan). A
    /// `planName` other than the current plan changes the plan from the next period, and
    /// the new months are charged at its price. `currency` defaults to the plan's and
    /// must be an ISO 4217 code (B12). Idempotent per reference (across all users).
    public func recordPayment(
        userID: Int64, username: String, amountMinor: Int64, currency: String? = nil, reference: String, months: Int, planName: String?,
        paidAt: Date? = nil, actor: String = defaultActor
    ) async throws -> PaymentOutcome {
        guard amountMinor > 0 else { throw BillingError.invalid("amount must be positive") }
        try Self.checkMonths(months)
        guard !reference.isEmpty, reference.utf8.count <= 200 else { throw BillingError.invalid("the payment reference must be 1-200 bytes") }
        let now = now()
        let paidAt = paidAt ?? now
        guard paidAt <= now.addingTimeInterval(300) else { throw BillingError.invalid("the payment time is in the future") }
        guard paidAt >= now.addingTimeInterval(-400 * 86400) else { throw BillingError.invalid("the payment time is more than 400 days ago") }
        let plan = try await paymentPlan(userID: userID, username: username, planName: planName)
        let paidIn = try Money.currency(currency ?? plan.currency)
        let (day, calendar, graceDays) = (calendar.day(of: paidAt), calendar, graceDays)
        let entry = PaymentEntry(
            userID: userID, username: username, amountMinor: amountMinor, currency: paidIn, reference: reference, months: months, paidAt: paidAt,
            audit: AuditNote(
                actor: actor, action: "payment", target: username,
                detail: "\(Money.format(amountMinor, paidIn)) for \(Self.months(months)) of \(plan.name), ref \(reference)"
            )
        )
        let recorded = try await store.recordPayment(entry, calendar: calendar) { current in
            Subscription.afterPayment(current, userID: userID, planID: plan.id, months: months, on: day, graceDays: graceDays, calendar: calendar)
        }
        let expected = plan.priceMinor * Int64(months)
        return PaymentOutcome(
            recorded: recorded, subscription: try await store.subscription(userID: userID),
            expectedMinor: recorded && paidIn == plan.currency && amountMinor != expected ? expected : nil
        )
    }

    /// As `recordPayment`, with the amount as typed: read in `currency` (by default the
    /// plan's) with that currency's decimals (`500` JPY, `1.250` KWD, `3.00` CNY).
    /// Returns the outcome with the amount and currency recorded.
    public func recordPayment(
        userID: Int64, username: String, amount text: String, currency: String? = nil, reference: String, months: Int, planName: String?,
        paidAt: Date? = nil, actor: String = defaultActor
    ) async throws -> (outcome: PaymentOutcome, amountMinor: Int64, currency: String) {
        try Self.checkMonths(months)
        var paidIn = currency?.uppercased() ?? ""
        if paidIn.isEmpty { paidIn = try await paymentPlan(userID: userID, username: username, planName: planName).currency }
        paidIn = try Money.currency(paidIn)
        guard let minor = Money.minorUnits(text.trimmingCharacters(in: .whitespaces), currency: paidIn), minor > 0 else {
            throw BillingError.invalid("\"\(text.prefix(40))\" is not an amount in \(paidIn) (\(Money.decimals(paidIn)) decimals, like \(Money.format(300, paidIn).split(separator: " ")[0]))")
        }
        let outcome = try await recordPayment(
            userID: userID, username: username, amountMinor: minor, currency: paidIn, reference: reference, months: months, planName: planName,
            paidAt: paidAt, actor: actor
        )
        return (outcome, minor, paidIn)
    }

    /// The plan a payment is for: the one named, else the subscription's.
    func paymentPlan(userID: Int64, username: String, planName: String?) async throws -> Plan {
        if let planName { return try await plan(named: planName) }
        if let existing = try await store.subscription(userID: userID), let current = try await store.plan(id: existing.planID) { return current }
        throw BillingError.invalid("\(username) has no subscription: name a plan to start one with this payment")
    }
}
