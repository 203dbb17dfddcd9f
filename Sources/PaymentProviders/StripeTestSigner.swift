import Foundation

/// Computes a `Stripe-Signature` header value (`t=<seconds>,v1=<hex>`) for
/// `payload`, as Stripe's own libraries do for tests
/// (`stripe.WebhookSignature.generate_signature_header` in Python).
///
/// For tests and local simulation only; Stripe signs real webhooks.
///
/// - Parameters:
///   - payload: the exact body bytes that will be sent.
///   - secret: the endpoint's signing secret (`whsec_…`), used as UTF-8 bytes.
///   - timestamp: the signing time; fractions of a second are dropped.
public func stripeSignatureHeader(payload: some DataProtocol, secret: String, timestamp: Date) -> String {
    let seconds = Int64(timestamp.timeIntervalSince1970.rounded(.down))
    let mac = StripeSignature.mac(timestamp: seconds, body: payload, secret: secret)
    return "t=\(seconds),v1=\(Hex.encode(mac))"
}
