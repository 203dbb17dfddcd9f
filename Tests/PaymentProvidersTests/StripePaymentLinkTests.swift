import Foundation
import Testing
import PaymentProviders

@Suite("Stripe payment links")
struct StripePaymentLinkTests {
    @Test("appends client_reference_id and an encoded prefilled_email")
    func appends() throws {
        let link = try StripePaymentLink(baseURL: URL(string: "https://buy.stripe.com/test_28o5kK0Xa")!)
        #expect(try link.url(orderNumber: "FERRY_1").absoluteString == "https://buy.stripe.com/test_28o5kK0Xa?client_reference_id=FERRY_1")
        #expect(try link.url(orderNumber: "FERRY_1", prefilledEmail: "a.b+ferry@example.com").absoluteString
            == "https://buy.stripe.com/test_28o5kK0Xa?client_reference_id=FERRY_1&prefilled_email=a.b%2Bferry%40example.com")
    }

    @Test("keeps an existing query")
    func existingQuery() throws {
        let link = try StripePaymentLink(baseURL: URL(string: "https://buy.stripe.com/abc?locale=zh&prefilled_promo_code=X%20Y")!)
        #expect(try link.url(orderNumber: "F2").absoluteString
            == "https://buy.stripe.com/abc?locale=zh&prefilled_promo_code=X%20Y&client_reference_id=F2")
    }

    @Test("refuses bad links, order numbers and e-mails")
    func refusals() throws {
        for base in ["http://buy.stripe.com/abc", "https://buy.stripe.com/abc?client_reference_id=x",
                     "https://buy.stripe.com/abc?prefilled_email=a%40b", "https://buy.stripe.com/abc#top", "buy.stripe.com/abc"] {
            #expect(throws: PaymentConfigurationError.self, "\(base)") { try StripePaymentLink(baseURL: URL(string: base)!) }
        }
        let link = try StripePaymentLink(baseURL: URL(string: "https://buy.stripe.com/abc")!)
        for number in ["", "a&b=c", "F 1", String(repeating: "x", count: 65)] {
            #expect(throws: PaymentRequestError.self) { try link.url(orderNumber: number) }
        }
        for email in ["", "no-at", "a b@example.com", "a@b\n.com"] {
            #expect(throws: PaymentRequestError.self) { try link.url(orderNumber: "F1", prefilledEmail: email) }
        }
    }
}
