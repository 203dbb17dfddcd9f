import Foundation

/// Verifies a Stripe webhook on its raw body and translates it.
///
/// Verification: the `Stripe-Signature` header must parse (one `t`, at least
/// one `v1`); the HMAC-SHA256 of `"<t>.<raw body>"` under one of `secrets`
/// (one, or two while rotating) must equal one of the `v1` values, compared
/// in constant time; then `t` must be within `tolerance` seconds of `now`,
/// in either direction. Only then is the JSON read.
///
/// Mapping:
/// - `checkout.session.completed` and `checkout.session.async_payment_succeeded`
///   with `payment_status` `paid` → ``PaymentEventKind/paymentSucceeded``
///   (order `client_reference_id`, trade id `payment_intent` or the session id,
///   amount `amount_total`, paid at the event's `created`);
/// - `checkout.session.expired` → ``PaymentEventKind/paymentClosed``;
/// - `charge.refunded` → ``PaymentEventKind/refunded(totalRefunded:)`` with
///   `amount_refunded` (cumulative), trade id `payment_intent` or the charge id,
///   order from `metadata[orderMetadataKey]` when present;
/// - anything else, including a completed session that is not `paid` →
///   ``PaymentNotificationError/Kind/unsupportedEvent`` carrying the event id
///   and type, to be stored and acknowledged.
///
/// - Parameters:
///   - rawBody: the request body exactly as received.
///   - signatureHeader: the `Stripe-Signature` header value.
///   - secrets: the endpoint signing secrets (`whsec_…`); one, or two during rotation.
///   - tolerance: largest accepted distance between `t` and `now`, in seconds (Stripe's default is 300).
///   - now: the current time (injected).
///   - orderMetadataKey: the charge metadata key that may hold Ferry's order number.
public func verifyStripeWebhook(
    rawBody: some DataProtocol,
    signatureHeader: String,
    secrets: [String],
    tolerance: TimeInterval = 300,
    now: Date,
    orderMetadataKey: String = "order_number"
) throws(PaymentNotificationError) -> PaymentEvent {
    func refuse(_ kind: PaymentNotificationError.Kind, _ id: String? = nil, _ type: String? = nil) -> PaymentNotificationError {
        PaymentNotificationError(kind, provider: .stripe, providerEventID: id, eventType: type)
    }
    guard !secrets.isEmpty, secrets.allSatisfy({ !$0.isEmpty }) else {
        throw refuse(.misconfigured("at least one non-empty webhook secret is required"))
    }
    guard tolerance.isFinite, tolerance >= 0 else { throw refuse(.misconfigured("tolerance must be a non-negative number")) }
    let header: StripeSignatureHeader
    do {
        header = try StripeSignatureHeader(parsing: signatureHeader)
    } catch {
        throw refuse(.malformed(error.reason))
    }
    let body = Data(rawBody)
    guard StripeSignature.matches(candidates: header.v1Signatures, timestamp: header.timestamp, body: body, secrets: secrets) else {
        throw refuse(.badSignature)
    }
    guard abs(now.timeIntervalSince1970 - TimeInterval(header.timestamp)) <= tolerance else {
        throw refuse(.staleTimestamp)
    }
    return try StripeEventMapper(body: body, orderMetadataKey: orderMetadataKey).event()
}
