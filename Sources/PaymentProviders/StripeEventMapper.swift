import Foundation

/// Turns an authenticated Stripe event body into a ``PaymentEvent``.
struct StripeEventMapper {
    let body: Data
    let orderMetadataKey: String

    /// Decodes the envelope, then the object its type calls for.
    func event() throws(PaymentNotificationError) -> PaymentEvent {
        let envelope: StripeEventEnvelope = try decode(StripeEventEnvelope.self, id: nil, type: nil)
        guard !envelope.id.isEmpty, envelope.object == nil || envelope.object == "event" else {
            throw refuse(.malformed("body is not a Stripe event"), envelope)
        }
        switch envelope.type {
        case "checkout.session.completed", "checkout.session.async_payment_succeeded", "checkout.session.expired":
            let session = try decode(StripeEventPayload<StripeCheckoutSession>.self, id: envelope.id, type: envelope.type).data.object
            return try checkoutEvent(session, envelope)
        case "charge.refunded":
            let charge = try decode(StripeEventPayload<StripeCharge>.self, id: envelope.id, type: envelope.type).data.object
            return try refundEvent(charge, envelope)
        default:
            throw refuse(.unsupportedEvent, envelope)
        }
    }

    private func checkoutEvent(_ session: StripeCheckoutSession, _ envelope: StripeEventEnvelope) throws(PaymentNotificationError) -> PaymentEvent {
        let kind: PaymentEventKind
        if envelope.type == "checkout.session.expired" {
            kind = .paymentClosed
        } else {
            guard session.paymentStatus == "paid" else { throw refuse(.unsupportedEvent, envelope) }
            kind = .paymentSucceeded
        }
        guard let order = session.clientReferenceId, !order.isEmpty else {
            throw refuse(.malformed("missing client_reference_id"), envelope)
        }
        guard let total = session.amountTotal, let currency = session.currency else {
            throw refuse(.malformed("missing amount_total or currency"), envelope)
        }
        let created = Date(timeIntervalSince1970: TimeInterval(envelope.created))
        return PaymentEvent(
            provider: .stripe,
            providerEventID: envelope.id,
            kind: kind,
            orderNumber: order,
            tradeID: nonEmpty(session.paymentIntent) ?? session.id,
            amount: try money(total, currency, envelope),
            paidAt: kind == .paymentSucceeded ? created : nil,
            occurredAt: created,
            rawStatus: envelope.type
        )
    }

    private func refundEvent(_ charge: StripeCharge, _ envelope: StripeEventEnvelope) throws(PaymentNotificationError) -> PaymentEvent {
        PaymentEvent(
            provider: .stripe,
            providerEventID: envelope.id,
            kind: .refunded(totalRefunded: try money(charge.amountRefunded, charge.currency, envelope)),
            orderNumber: nonEmpty(charge.metadata?[orderMetadataKey]),
            tradeID: nonEmpty(charge.paymentIntent) ?? charge.id,
            amount: try money(charge.amount, charge.currency, envelope),
            paidAt: Date(timeIntervalSince1970: TimeInterval(charge.created)),
            occurredAt: Date(timeIntervalSince1970: TimeInterval(envelope.created)),
            rawStatus: envelope.type
        )
    }

    private func money(_ minorUnits: Int64, _ code: String, _ envelope: StripeEventEnvelope) throws(PaymentNotificationError) -> MoneyAmount {
        guard let currency = ISO4217Currency(code: code) else {
            throw refuse(.malformed("unsupported currency"), envelope)
        }
        do {
            return try MoneyAmount(minorUnits: minorUnits, currency: currency)
        } catch {
            throw refuse(.malformed("amount: \(error)"), envelope)
        }
    }

    private func decode<T: Decodable>(_ type: T.Type, id: String?, type eventType: String?) throws(PaymentNotificationError) -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(T.self, from: body)
        } catch {
            throw PaymentNotificationError(
                .malformed("event JSON does not have the expected fields"), provider: .stripe,
                providerEventID: id, eventType: eventType
            )
        }
    }

    private func refuse(_ kind: PaymentNotificationError.Kind, _ envelope: StripeEventEnvelope) -> PaymentNotificationError {
        PaymentNotificationError(kind, provider: .stripe, providerEventID: envelope.id, eventType: envelope.type)
    }

    private func nonEmpty(_ text: String?) -> String? {
        text.flatMap { $0.isEmpty ? nil : $0 }
    }
}
