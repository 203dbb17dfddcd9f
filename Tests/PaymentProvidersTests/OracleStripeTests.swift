import Foundation
import Testing
@testable import PaymentProviders

/// Cross-checks against the official Stripe Python library (`stripe`).
@Suite("Oracle: Stripe SDK", .enabled(if: Oracle.enabled, "set FERRY_PAYMENT_ORACLE_PYTHON (scripts/payment-oracle-venv.sh)"))
struct OracleStripeTests {
    private let payload = String(decoding: Fixtures.stripeCheckoutEvent(), as: UTF8.self)

    private func sdkHeader(_ payload: String, secret: String = Fixtures.stripeSecret, timestamp: Int64) throws -> String {
        try Oracle.string(Oracle.call(["op": "stripe_sign", "payload": payload, "secret": secret, "timestamp": timestamp]), "header")
    }

    private func sdkConstruct(_ payload: String, header: String, secret: String = Fixtures.stripeSecret) throws -> [String: Any] {
        try Oracle.call(["op": "stripe_construct", "payload": payload, "header": header, "secret": secret])
    }

    @Test("a header from WebhookSignature.generate_signature_header verifies in Ferry and equals Ferry's")
    func sdkHeaderVerifiesInFerry() throws {
        let now = Date(timeIntervalSince1970: 1_714_566_896)
        let header = try sdkHeader(payload, timestamp: 1_714_566_896)
        #expect(header == stripeSignatureHeader(payload: Data(payload.utf8), secret: Fixtures.stripeSecret, timestamp: now))
        let event = try verifyStripeWebhook(rawBody: Data(payload.utf8), signatureHeader: header, secrets: [Fixtures.stripeSecret], now: now)
        #expect(event.kind == .paymentSucceeded && event.providerEventID == "evt_1PAbCdEfGhIjKlMn")
    }

    @Test("SDK-signed: tampered payload, wrong secret and stale timestamp are refused by Ferry")
    func sdkSignedRefusals() throws {
        let now = Date(timeIntervalSince1970: 1_714_566_896)
        let header = try sdkHeader(payload, timestamp: 1_714_566_896)
        let tampered = Data(payload.replacingOccurrences(of: "1999", with: "1").utf8)
        #expect(throws: PaymentNotificationError(.badSignature, provider: .stripe)) {
            try verifyStripeWebhook(rawBody: tampered, signatureHeader: header, secrets: [Fixtures.stripeSecret], now: now)
        }
        #expect(throws: PaymentNotificationError(.badSignature, provider: .stripe)) {
            try verifyStripeWebhook(rawBody: Data(payload.utf8), signatureHeader: header, secrets: ["whsec_wrong"], now: now)
        }
        #expect(throws: PaymentNotificationError(.staleTimestamp, provider: .stripe)) {
            try verifyStripeWebhook(rawBody: Data(payload.utf8), signatureHeader: header, secrets: [Fixtures.stripeSecret], now: now + 301)
        }
    }

    @Test("Ferry's header passes stripe.Webhook.construct_event")
    func ferryHeaderVerifiesInSDK() throws {
        // The SDK checks against its own clock, so sign at the real current time.
        let header = stripeSignatureHeader(payload: Data(payload.utf8), secret: Fixtures.stripeSecret, timestamp: Date())
        let answer = try sdkConstruct(payload, header: header)
        #expect(try Oracle.bool(answer, "valid"), "\(answer)")
        #expect(try Oracle.string(answer, "id") == "evt_1PAbCdEfGhIjKlMn")
        #expect(try Oracle.string(answer, "type") == "checkout.session.completed")
        let v1 = String(header.split(separator: ",")[1])
        let junk = "v1=" + String(repeating: "0", count: 64)
        let t = String(header.split(separator: ",")[0])
        #expect(try Oracle.bool(sdkConstruct(payload, header: "\(t),\(junk),\(v1)"), "valid"))
        #expect(try verifyStripeWebhook(rawBody: Data(payload.utf8), signatureHeader: "\(t),\(junk),\(v1)",
                                        secrets: [Fixtures.stripeSecret], now: Date()).kind == .paymentSucceeded)
    }

    @Test("Ferry-signed: tampered payload, wrong secret and stale timestamp are refused by the SDK and by Ferry")
    func ferrySignedRefusals() throws {
        let now = Date()
        let header = stripeSignatureHeader(payload: Data(payload.utf8), secret: Fixtures.stripeSecret, timestamp: now)
        let tampered = payload.replacingOccurrences(of: "1999", with: "1")
        #expect(try !Oracle.bool(sdkConstruct(tampered, header: header), "valid"))
        #expect(try !Oracle.bool(sdkConstruct(payload, header: header, secret: "whsec_wrong"), "valid"))
        let stale = stripeSignatureHeader(payload: Data(payload.utf8), secret: Fixtures.stripeSecret, timestamp: now - 400)
        let sdkStale = try sdkConstruct(payload, header: stale)
        #expect(try !Oracle.bool(sdkStale, "valid"))
        #expect(try Oracle.string(sdkStale, "error").contains("tolerance"))
        #expect(throws: PaymentNotificationError(.staleTimestamp, provider: .stripe)) {
            try verifyStripeWebhook(rawBody: Data(payload.utf8), signatureHeader: stale, secrets: [Fixtures.stripeSecret], now: now)
        }
        #expect(throws: PaymentNotificationError(.badSignature, provider: .stripe)) {
            try verifyStripeWebhook(rawBody: Data(tampered.utf8), signatureHeader: header, secrets: [Fixtures.stripeSecret], now: now)
        }
    }

    @Test("non-ASCII payloads sign identically (UTF-8 bytes)")
    func unicodePayload() throws {
        let text = #"{"id":"evt_u","object":"event","type":"x","created":1,"data":{"object":{"name":"张三 ü €"}}}"#
        let now = Date(timeIntervalSince1970: 1_714_566_896)
        #expect(try sdkHeader(text, timestamp: 1_714_566_896)
            == stripeSignatureHeader(payload: Data(text.utf8), secret: Fixtures.stripeSecret, timestamp: now))
    }
}
