import Foundation
import Testing
@testable import PaymentProviders

@Suite("Stripe webhooks")
struct StripeWebhookTests {
    private let signedAt = Date(timeIntervalSince1970: 1_714_566_896)

    private func header(_ body: Data, secret: String = Fixtures.stripeSecret, at time: Date? = nil) -> String {
        stripeSignatureHeader(payload: body, secret: secret, timestamp: time ?? signedAt)
    }

    private func verify(_ body: Data, header: String? = nil, secrets: [String] = [Fixtures.stripeSecret], now: Date? = nil) throws -> PaymentEvent {
        try verifyStripeWebhook(rawBody: body, signatureHeader: header ?? self.header(body), secrets: secrets, now: now ?? signedAt)
    }

    private func refusal(_ body: Data, header: String? = nil, secrets: [String] = [Fixtures.stripeSecret], now: Date? = nil) throws -> PaymentNotificationError {
        try #require(throws: PaymentNotificationError.self) {
            try verifyStripeWebhook(rawBody: body, signatureHeader: header ?? self.header(body), secrets: secrets, now: now ?? signedAt)
        }
    }

    @Test("the test signer matches the documented construction")
    func signer() {
        // HMAC-SHA256("whsec_test", "1700000000.{}") computed independently (openssl dgst -sha256 -hmac).
        #expect(stripeSignatureHeader(payload: Data("{}".utf8), secret: "whsec_test", timestamp: Date(timeIntervalSince1970: 1_700_000_000.9))
            == "t=1700000000,v1=\(StripeWebhookTests.knownMAC)")
    }
    static let knownMAC = "35495024f4ef3f94e5a93e22221544c4b75e9a42300cd965ab81cb85cd994e91"

    @Test("checkout.session.completed paid → payment succeeded")
    func checkoutCompleted() throws {
        let event = try verify(Fixtures.stripeCheckoutEvent())
        #expect(event.provider == .stripe && event.providerEventID == "evt_1PAbCdEfGhIjKlMn")
        #expect(event.kind == .paymentSucceeded && event.rawStatus == "checkout.session.completed")
        #expect(event.orderNumber == "FERRY_20240501_0002" && event.tradeID == "pi_3PAbCdEfGhIjKlMn0")
        #expect(event.amount.minorUnits == 1999 && event.amount.text == "19.99" && event.currency == "USD")
        #expect(event.paidAt == Date(timeIntervalSince1970: 1_714_566_890) && event.occurredAt == event.paidAt)
    }

    @Test("zero- and three-decimal currencies, no payment intent")
    func currencies() throws {
        let yen = try verify(Fixtures.stripeCheckoutEvent(paymentIntent: nil, amount: 500, currency: "jpy"))
        #expect(yen.amount.text == "500" && yen.amount.minorUnits == 500 && yen.currency == "JPY")
        #expect(yen.tradeID == "cs_test_a1B2c3")
        let dinar = try verify(Fixtures.stripeCheckoutEvent(amount: 1250, currency: "kwd"))
        #expect(dinar.amount.text == "1.250")
        #expect(try refusal(Fixtures.stripeCheckoutEvent(currency: "xts")).kind == .malformed("unsupported currency"))
    }

    @Test("other checkout outcomes")
    func checkoutOutcomes() throws {
        let unpaid = try refusal(Fixtures.stripeCheckoutEvent(paymentStatus: "unpaid"))
        #expect(unpaid.kind == .unsupportedEvent && unpaid.eventType == "checkout.session.completed")
        #expect(try verify(Fixtures.stripeCheckoutEvent(type: "checkout.session.async_payment_succeeded")).kind == .paymentSucceeded)
        let expired = try verify(Fixtures.stripeCheckoutEvent(type: "checkout.session.expired", paymentStatus: "unpaid"))
        #expect(expired.kind == .paymentClosed && expired.paidAt == nil)
        #expect(try refusal(Fixtures.stripeCheckoutEvent(clientReferenceID: nil)).kind == .malformed("missing client_reference_id"))
    }

    @Test("charge.refunded → refunded, order from metadata when present")
    func refunds() throws {
        let event = try verify(Fixtures.stripeRefundEvent())
        #expect(event.kind == .refunded(totalRefunded: try MoneyAmount(minorUnits: 500, currency: .usd)))
        #expect(event.amount.minorUnits == 1999 && event.orderNumber == "FERRY_20240501_0002")
        #expect(event.tradeID == "pi_3PAbCdEfGhIjKlMn0" && event.providerEventID == "evt_3PRefund0001")
        #expect(event.paidAt == Date(timeIntervalSince1970: 1_714_566_880))
        #expect(event.occurredAt == Date(timeIntervalSince1970: 1_714_570_000))
        #expect(try verify(Fixtures.stripeRefundEvent(metadata: "{}")).orderNumber == nil)
    }

    @Test("unknown types are unsupported, with id and type for storage")
    func unsupported() throws {
        let body = Data(#"{"id":"evt_9","object":"event","type":"invoice.paid","created":1714566896,"data":{"object":{"id":"in_1"}}}"#.utf8)
        let error = try refusal(body)
        #expect(error.kind == .unsupportedEvent && error.providerEventID == "evt_9" && error.eventType == "invoice.paid")
    }

    @Test("tolerance applies both ways, inclusive")
    func tolerance() throws {
        let body = Fixtures.stripeCheckoutEvent()
        #expect(try verify(body, now: signedAt + 300).kind == .paymentSucceeded)
        #expect(try verify(body, now: signedAt - 300).kind == .paymentSucceeded)
        #expect(try refusal(body, now: signedAt + 301).kind == .staleTimestamp)
        #expect(try refusal(body, now: signedAt - 301).kind == .staleTimestamp)
        #expect(try verifyStripeWebhook(rawBody: body, signatureHeader: header(body), secrets: [Fixtures.stripeSecret],
                                        tolerance: 600, now: signedAt + 599).kind == .paymentSucceeded)
    }

    @Test("a bad signature is reported before staleness")
    func signatureFirst() throws {
        let body = Fixtures.stripeCheckoutEvent()
        #expect(try refusal(body, header: header(body, secret: "whsec_other"), now: signedAt + 10_000).kind == .badSignature)
    }

    @Test("two secrets during rotation")
    func rotation() throws {
        let body = Fixtures.stripeCheckoutEvent()
        let rotation = [Fixtures.stripeSecret, Fixtures.stripeOldSecret]
        #expect(try verify(body, header: header(body, secret: Fixtures.stripeOldSecret), secrets: rotation).kind == .paymentSucceeded)
        #expect(try verify(body, header: header(body), secrets: rotation.reversed()).kind == .paymentSucceeded)
        #expect(try refusal(body, header: header(body, secret: "whsec_third"), secrets: rotation).kind == .badSignature)
        #expect(try refusal(body, header: header(body, secret: Fixtures.stripeOldSecret)).kind == .badSignature)
    }

    @Test("any of several v1 entries may match; v0 never counts")
    func multipleV1() throws {
        let body = Fixtures.stripeCheckoutEvent()
        let good = header(body)
        let mac = String(good.split(separator: "=").last!)
        let junk = String(repeating: "0", count: 64)
        #expect(try verify(body, header: "t=1714566896,v1=\(junk),v1=\(mac),v0=\(junk)").kind == .paymentSucceeded)
        #expect(try verify(body, header: "v0=\(junk),v1=\(mac.uppercased()),t=1714566896").kind == .paymentSucceeded)
        #expect(try refusal(body, header: "t=1714566896,v0=\(mac)").kind == .malformed("signature header has no v1 signature"))
        #expect(try refusal(body, header: "t=1714566897,v1=\(mac)").kind == .badSignature)
    }

    @Test("tampered payload and wrong secret are refused")
    func tampered() throws {
        let body = Fixtures.stripeCheckoutEvent()
        let signed = header(body)
        let changed = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "1999", with: "19").utf8)
        #expect(try refusal(changed, header: signed).kind == .badSignature)
        #expect(try refusal(body + Data(" ".utf8), header: signed).kind == .badSignature)
        #expect(try refusal(body, secrets: ["whsec_wrong"]).kind == .badSignature)
    }

    @Test("malformed headers and configuration")
    func malformed() throws {
        let body = Fixtures.stripeCheckoutEvent()
        for bad in ["", "garbage", "t=abc,v1=00", "v1=" + String(repeating: "0", count: 64)] {
            #expect(try refusal(body, header: bad).kind.isMalformed, "\(bad)")
        }
        #expect(try refusal(body, secrets: []).kind == .misconfigured("at least one non-empty webhook secret is required"))
        #expect(try refusal(body, secrets: [Fixtures.stripeSecret, ""]).kind.isMisconfigured)
    }

    @Test("signed but malformed JSON is refused")
    func malformedJSON() throws {
        for text in ["not json", "{}", #"{"id":"evt_1","object":"charge","type":"x","created":1}"#,
                     #"{"id":"evt_1","type":"charge.refunded","created":1,"data":{"object":{"id":"ch_1"}}}"#] {
            #expect(try refusal(Data(text.utf8)).kind.isMalformed, "\(text)")
        }
    }

    @Test("error descriptions carry no secret or signature")
    func descriptions() throws {
        let body = Fixtures.stripeCheckoutEvent()
        let error = try refusal(body, header: header(body, secret: "whsec_other"))
        #expect(!error.description.contains("whsec") && !error.description.contains(String(header(body).suffix(64))))
        #expect(error.description == "Stripe webhook refused: signature does not verify")
    }
}

extension PaymentNotificationError.Kind {
    var isMalformed: Bool { if case .malformed = self { true } else { false } }
    var isMisconfigured: Bool { if case .misconfigured = self { true } else { false } }
}
