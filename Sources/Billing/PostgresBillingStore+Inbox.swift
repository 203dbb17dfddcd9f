import Foundation
import NIOCore
import PaymentProviders
import PostgresNIO

/// The payment inbox: every verified provider notification is stored once per provider
/// and event id and applied in the same transaction, under the trade's lock and then the
/// paying user's lock (the same order everywhere, so two notifications never deadlock).
/// A redelivery only counts its delivery.
extension PostgresBillingStore {
    static let eventColumns = """
        e.id, e.provider, e.event_id, e.event_type, e.order_number, e.trade_id, e.amount_minor, e.currency, e.refunded_total_minor,
        e.paid_at, e.received_at, e.deliveries, e.outcome, e.detail, p.reference
        """

    typealias EventRow = (Int64, String, String, String, String?, String?, Int64?, String?, Int64?, Date?, Date, Int, String, String, String?)

    static func event(_ row: EventRow) -> InboxEvent {
        InboxEvent(
            id: row.0, provider: row.1, eventID: row.2, eventType: row.3, orderNumber: row.4, tradeID: row.5, amountMinor: row.6, currency: row.7,
            refundedTotalMinor: row.8, paidAt: row.9, receivedAt: row.10, deliveries: row.11, outcome: InboxOutcome(rawValue: row.12) ?? .rejected,
            detail: row.13, paymentReference: row.14
        )
    }

    /// Stores `notification` and applies it, all in one transaction: nothing of it is
    /// kept unless all of it is.
    public func receive(_ notification: ReceivedNotification, terms: PaymentTerms) async throws -> InboxReceipt {
        try await transaction { connection in
            try await limitLockWaits(on: connection)
            let current = try await lockTradeAndUser(notification.provider.rawValue, notification.event, on: connection)
            let (rowID, inserted) = try await insertEvent(notification, on: connection)
            guard inserted else { return InboxReceipt(event: try await event(rowID, on: connection), duplicate: true) }
            let result = try await apply(notification, current: current, terms: terms, on: connection)
            return InboxReceipt(event: try await settle(rowID, result, on: connection), duplicate: false)
        }
    }

    /// Runs a stored event again with `notification` (its body as it parses with today's
    /// configuration). An applied event is returned as it is: the same keys guard the
    /// books either way.
    public func replay(eventID: Int64, as notification: ReceivedNotification, terms: PaymentTerms, actor: String) async throws -> InboxEvent {
        try await transaction { connection in
            try await limitLockWaits(on: connection)
            let current = try await lockTradeAndUser(notification.provider.rawValue, notification.event, on: connection)
            let stored = try await event(eventID, on: connection, forUpdate: true)
            guard stored.outcome != .applied else { return stored }
            try await updateParsedFields(eventID, notification, on: connection)
            var result = try await apply(notification, current: current, terms: terms, on: connection)
            result.detail += " (replayed by \(actor))"
            return try await settle(eventID, result, on: connection)
        }
    }

    /// Credits an orphan or rejected payment event to `target`: records its money as a
    /// payment (reference `<provider>:<trade id>`) for the plan and months given.
    public func resolve(eventID: Int64, to target: ResolveTarget, terms: PaymentTerms) async throws -> InboxEvent {
        guard let stored = try await event(id: eventID)?.event else { throw BillingError.notFound("no payment event \(eventID)") }
        guard [.orphan, .rejected].contains(stored.outcome) else {
            throw BillingError.conflict("event \(eventID) is \(stored.outcome.rawValue): only orphan or rejected events can be resolved")
        }
        guard let trade = stored.tradeID, let amount = stored.amountMinor, let currency = stored.currency, stored.refundedTotalMinor == nil else {
            throw BillingError.invalid("event \(eventID) is not a payment (\(stored.eventType)): nothing to credit")
        }
        return try await transaction { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.tradeLockSpace), hashtext(\(stored.provider + ":" + trade)))", logger: logger)
            let current = try await lockUser(target.userID, on: connection)
            let locked = try await event(eventID, on: connection, forUpdate: true)
            guard [.orphan, .rejected].contains(locked.outcome) else { return locked }
            let paidAt = min(stored.paidAt ?? stored.receivedAt, terms.now)
            let entry = PaymentEntry(
                userID: target.userID, username: target.username, amountMinor: amount, currency: currency, reference: "\(stored.provider):\(trade)",
                months: target.months, paidAt: paidAt, provider: stored.provider,
                audit: AuditNote(
                    actor: target.actor, action: "payment", target: target.username,
                    detail: "\(Money.format(amount, currency)) for \(target.months) month(s) of \(target.plan.name), resolved from \(stored.provider) event \(eventID)"
                )
            )
            let day = terms.calendar.day(of: paidAt)
            let (plan, months, graceDays, calendar) = (target.plan, target.months, terms.graceDays, terms.calendar)
            let paymentID = try await insertPayment(entry, current: current, calendar: calendar, on: connection) { current in
                Subscription.afterPayment(current, userID: target.userID, planID: plan.id, months: months, on: day, graceDays: graceDays, calendar: calendar)
            }
            var result = ApplyResult(outcome: .applied, detail: "resolved by \(target.actor): credited to \(target.username)", paymentID: paymentID)
            if paymentID == nil { result.detail = "resolved by \(target.actor): the payment was already recorded" }
            try await applyWaitingRefunds(provider: stored.provider, tradeID: trade, terms: terms, on: connection)
            return try await settle(eventID, result, on: connection)
        }
    }

    /// Stored events with these outcomes, newest first.
    public func inbox(outcomes: [InboxOutcome], limit: Int) async throws -> [InboxEvent] {
        try await run {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.eventColumns) FROM payment_events e LEFT JOIN payments p ON p.id = e.payment_id
                WHERE e.outcome = ANY(\(outcomes.map(\.rawValue))) ORDER BY e.id DESC LIMIT \(limit)
                """,
                logger: logger
            )
            var events: [InboxEvent] = []
            for try await row in rows.decode(EventRow.self) { events.append(Self.event(row)) }
            return events
        }
    }

    /// One stored event with its body and signature header.
    public func event(id: Int64) async throws -> StoredNotification? {
        try await run {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.eventColumns), e.body, e.signature_header FROM payment_events e LEFT JOIN payments p ON p.id = e.payment_id
                WHERE e.id = \(id)
                """,
                logger: logger
            )
            for try await row in rows.decode((Int64, String, String, String, String?, String?, Int64?, String?, Int64?, Date?, Date, Int, String, String, String?, ByteBuffer, String?).self) {
                let event = Self.event((row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8, row.9, row.10, row.11, row.12, row.13, row.14))
                return StoredNotification(event: event, body: Array(row.15.readableBytesView), signatureHeader: row.16)
            }
            return nil
        }
    }

    // MARK: - Steps

    /// A notification waits at most 10 seconds for a lock (another transaction on the
    /// same order or user): then it fails, and the provider retries.
    func limitLockWaits(on connection: PostgresConnection) async throws {
        try await connection.query("SET LOCAL lock_timeout = '10s'", logger: logger)
    }

    /// The lock space of trades (two-key advisory locks never collide with the one-key user locks).
    static let tradeLockSpace: Int32 = 0x4665

    /// Takes the trade's lock, then the lock of the user it concerns (found through its
    /// order, or its payment for a refund), and returns that user's subscription.
    func lockTradeAndUser(_ provider: String, _ event: PaymentEvent?, on connection: PostgresConnection) async throws -> (userID: Int64, subscription: Subscription?)? {
        guard let event else { return nil }
        try await connection.query("SELECT pg_advisory_xact_lock(\(Self.tradeLockSpace), hashtext(\(provider + ":" + event.tradeID)))", logger: logger)
        let rows = try await connection.query(
            """
            SELECT user_id FROM payments WHERE reference = \(provider + ":" + event.tradeID)
            UNION ALL SELECT user_id FROM orders WHERE order_number = \(event.orderNumber ?? "")
            LIMIT 1
            """,
            logger: logger
        )
        for try await userID in rows.decode(Int64.self) {
            return (userID, try await lockUser(userID, on: connection))
        }
        return nil
    }

    /// Inserts the event, or counts one more delivery of it; returns its row id and
    /// whether it is new.
    private func insertEvent(_ notification: ReceivedNotification, on connection: PostgresConnection) async throws -> (Int64, inserted: Bool) {
        let event = notification.event
        let rows = try await connection.query(
            """
            INSERT INTO payment_events (provider, event_id, event_type, kind, order_number, trade_id, amount_minor, currency, refunded_total_minor,
                                        paid_at, occurred_at, received_at, signature_header, body, outcome, detail, updated_at)
            VALUES (\(notification.provider.rawValue), \(notification.eventID), \(notification.eventType), \(event.map(Self.kind)), \(event?.orderNumber),
                    \(event?.tradeID), \(event?.amount.minorUnits), \(event?.currency), \(event.flatMap(Self.refundedTotal)), \(event?.paidAt),
                    \(event?.occurredAt), \(notification.receivedAt), \(notification.signatureHeader), \(ByteBuffer(bytes: notification.body)), 'ignored', '',
                    \(notification.receivedAt))
            ON CONFLICT (provider, event_id) DO UPDATE SET deliveries = payment_events.deliveries + 1, updated_at = EXCLUDED.updated_at
            RETURNING id, (xmax = 0)
            """,
            logger: logger
        )
        for try await (id, inserted) in rows.decode((Int64, Bool).self) { return (id, inserted) }
        throw BillingError.databaseUnavailable("storing the event returned no row")
    }

    /// Replaces the parsed fields of a stored event with those of `notification`.
    private func updateParsedFields(_ id: Int64, _ notification: ReceivedNotification, on connection: PostgresConnection) async throws {
        let event = notification.event
        try await connection.query(
            """
            UPDATE payment_events SET event_type = \(notification.eventType), kind = \(event.map(Self.kind)), order_number = \(event?.orderNumber),
                trade_id = \(event?.tradeID), amount_minor = \(event?.amount.minorUnits), currency = \(event?.currency),
                refunded_total_minor = \(event.flatMap(Self.refundedTotal)), paid_at = \(event?.paidAt), occurred_at = \(event?.occurredAt)
            WHERE id = \(id)
            """,
            logger: logger
        )
    }

    /// Writes the outcome of applying an event and returns the event.
    func settle(_ id: Int64, _ result: ApplyResult, on connection: PostgresConnection) async throws -> InboxEvent {
        try await connection.query(
            """
            UPDATE payment_events SET outcome = \(result.outcome.rawValue), detail = \(String(result.detail.prefix(500))),
                payment_id = COALESCE(\(result.paymentID), payment_id), updated_at = \(now())
            WHERE id = \(id)
            """,
            logger: logger
        )
        return try await event(id, on: connection)
    }

    /// One event, read on `connection` (locked with `forUpdate`).
    func event(_ id: Int64, on connection: PostgresConnection, forUpdate: Bool = false) async throws -> InboxEvent {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: Self.eventColumns) FROM payment_events e LEFT JOIN payments p ON p.id = e.payment_id WHERE e.id = \(id)
            \(unescaped: forUpdate ? "FOR UPDATE OF e" : "")
            """,
            logger: logger
        )
        for try await row in rows.decode(EventRow.self) { return Self.event(row) }
        throw BillingError.notFound("no payment event \(id)")
    }

    static func kind(_ event: PaymentEvent) -> String {
        switch event.kind {
        case .paymentSucceeded: "payment"
        case .paymentClosed: "closed"
        case .refunded: "refund"
        }
    }

    static func refundedTotal(_ event: PaymentEvent) -> Int64? {
        if case .refunded(let total) = event.kind { return total.minorUnits }
        return nil
    }
}
