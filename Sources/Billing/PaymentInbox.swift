import Foundation
import PaymentProviders

/// What to answer a provider's notification with.
public enum NotificationAnswer: Sendable {
    /// Stored (and applied, or kept for a person): acknowledge it (`success`, 200), also
    /// for a redelivery.
    case stored(InboxEvent, duplicate: Bool)
    /// Not authentic or not readable: refuse it (400 / `fail`); nothing was stored.
    case refused(PaymentNotificationError)
    /// The database could not take it: the provider must retry (503 / `fail`).
    case unavailable(String)
    /// The provider is not configured on this Ferry.
    case notConfigured
}

/// The provider-neutral inbox: verifies a notification on its raw body (Alipay RSA2 over
/// the sorted parameters; Stripe HMAC-SHA256 with a 300 s tolerance and up to two
/// secrets), then stores and applies it in one transaction. Also runs stored events
/// again (`replay`), credits orphans (`resolve`) and imports statements (`reconcile`).
public struct PaymentInbox: Sendable {
    let service: BillingService
    let alipay: AlipayConfiguration?
    let stripeSecrets: [String]
    /// How long a provider waits for its answer at most: past it the answer is
    /// "unavailable" (the provider retries; the books are idempotent if the work commits
    /// after all).
    let answerDeadline: Duration

    /// Creates the inbox over `service`'s books.
    public init(service: BillingService, alipay: AlipayConfiguration?, stripeSecrets: [String], answerDeadline: Duration = .seconds(20)) {
        self.service = service
        self.alipay = alipay
        self.stripeSecrets = stripeSecrets
        self.answerDeadline = answerDeadline
    }

    /// Whether `provider`'s notifications can be verified here.
    public func accepts(_ provider: PaymentProvider) -> Bool {
        provider == .alipay ? alipay != nil : !stripeSecrets.isEmpty
    }

    /// Verifies, stores and applies one notification.
    public func receive(_ provider: PaymentProvider, body: [UInt8], signatureHeader: String?) async -> NotificationAnswer {
        guard accepts(provider) else { return .notConfigured }
        let now = service.now()
        let notification: ReceivedNotification
        do {
            notification = try parse(provider, body: body, signatureHeader: signatureHeader, now: now, replaying: false)
        } catch {
            return .refused(error)
        }
        let (store, terms) = (service.store, service.terms)
        let outcome = await Deadline.run(within: answerDeadline) { try await store.receive(notification, terms: terms) }
        switch outcome {
        case .success(let receipt): return .stored(receipt.event, duplicate: receipt.duplicate)
        case .failure(let error): return .unavailable("\(error)")
        case nil: return .unavailable("no answer from the database within \(answerDeadline)")
        }
    }

    /// Runs a stored event again, its body verified and read with today's configuration
    /// (a Stripe event's age is not held against it). The same keys guard the books, so
    /// it cannot count anything twice.
    public func replay(eventID: Int64, actor: String) async throws -> InboxEvent {
        guard let stored = try await service.store.event(id: eventID) else { throw BillingError.notFound("no payment event \(eventID)") }
        guard let provider = PaymentProvider(rawValue: stored.event.provider), accepts(provider) else {
            throw BillingError.invalid("\(stored.event.provider) is not configured here: its events cannot be verified")
        }
        guard !stored.event.eventID.hasPrefix("statement:") else {
            throw BillingError.invalid("event \(eventID) came from a statement: import the statement again with ferry payment reconcile")
        }
        let notification: ReceivedNotification
        do {
            notification = try parse(provider, body: stored.body, signatureHeader: stored.signatureHeader, now: service.now(), replaying: true)
        } catch {
            throw BillingError.invalid("event \(eventID) no longer verifies: \(error)")
        }
        return try await service.store.replay(eventID: eventID, as: notification, terms: service.terms, actor: actor)
    }

    /// Credits an orphan or rejected payment to `username` for `months` of `planName`
    /// (default: the user's current plan).
    public func resolve(eventID: Int64, userID: Int64, username: String, planName: String?, months: Int, actor: String) async throws -> InboxEvent {
        try BillingService.checkMonths(months)
        let plan = try await service.paymentPlan(userID: userID, username: username, planName: planName)
        let target = ResolveTarget(userID: userID, username: username, plan: plan, months: months, actor: actor)
        return try await service.store.resolve(eventID: eventID, to: target, terms: service.terms)
    }

    /// Applies the payments of an Alipay statement that no notification brought (a Ferry
    /// outage longer than Alipay's 25 hours of retries), through the same path and keys
    /// as notifications: a trade already recorded changes nothing. Refund rows are
    /// returned, not applied.
    public func reconcile(_ rows: [AlipayStatementRow]) async throws -> (receipts: [InboxReceipt], refunds: [AlipayStatementRow]) {
        var receipts: [InboxReceipt] = []
        for row in rows where row.kind == .payment {
            let event = PaymentEvent(
                provider: .alipay, providerEventID: "statement:\(row.tradeID)", kind: .paymentSucceeded, orderNumber: row.orderNumber, tradeID: row.tradeID,
                amount: row.amount, paidAt: row.completedAt, occurredAt: row.completedAt, rawStatus: "statement"
            )
            let notification = ReceivedNotification(
                provider: .alipay, eventID: event.providerEventID, eventType: "statement", event: event, body: Array(row.line.utf8), signatureHeader: nil,
                receivedAt: service.now()
            )
            receipts.append(try await service.store.receive(notification, terms: service.terms))
        }
        return (receipts, rows.filter { $0.kind == .refund })
    }

    /// Verifies and reads a notification. Authentic notifications that need no action
    /// (an unsupported type) or must not be applied (another app or seller) come back
    /// with a verdict, to be stored; anything unauthentic or unreadable throws.
    func parse(
        _ provider: PaymentProvider, body: [UInt8], signatureHeader: String?, now: Date, replaying: Bool
    ) throws(PaymentNotificationError) -> ReceivedNotification {
        do throws(PaymentNotificationError) {
            let event: PaymentEvent
            switch provider {
            case .alipay:
                guard let alipay else { throw PaymentNotificationError(.misconfigured("Alipay is not configured"), provider: .alipay) }
                event = try verifyAlipayNotification(rawBody: body, configuration: alipay)
            case .stripe:
                let header = signatureHeader ?? ""
                // A replayed event was verified when it arrived: its age is not held against it.
                let signedAt = replaying ? Self.stripeTimestamp(header).map { Date(timeIntervalSince1970: TimeInterval($0)) } ?? now : now
                event = try verifyStripeWebhook(rawBody: body, signatureHeader: header, secrets: stripeSecrets, now: signedAt)
            }
            return ReceivedNotification(
                provider: provider, eventID: event.providerEventID, eventType: event.rawStatus, event: event, body: body, signatureHeader: signatureHeader,
                receivedAt: now
            )
        } catch {
            guard let eventID = error.providerEventID else { throw error }
            let verdict: (InboxOutcome, String)
            switch error.kind {
            case .unsupportedEvent: verdict = (.ignored, "\(error.eventType ?? "this event") needs no action")
            case .wrongApp: verdict = (.rejected, "for another Alipay app_id: check payments.alipay.app-id, then replay")
            case .wrongSeller: verdict = (.rejected, "for another Alipay seller_id: check payments.alipay.seller-id, then replay")
            default: throw error
            }
            return ReceivedNotification(
                provider: provider, eventID: eventID, eventType: error.eventType ?? "unknown", event: nil, verdict: verdict, body: body,
                signatureHeader: signatureHeader, receivedAt: now
            )
        }
    }

    /// The `t=` of a `Stripe-Signature` header.
    static func stripeTimestamp(_ header: String) -> Int64? {
        header.split(separator: ",").lazy.map { $0.trimmingCharacters(in: .whitespaces) }.first { $0.hasPrefix("t=") }.flatMap { Int64($0.dropFirst(2)) }
    }
}
