import Foundation
import Testing
@testable import PaymentProviders

@Suite("Alipay page pay")
struct AlipayPagePayTests {
    @Test("builds the signed request with the documented parameters")
    func parameters() throws {
        let request = try alipayPagePayRequest(
            order: Fixtures.order(), timeoutMinutes: 30, configuration: Fixtures.alipayConfiguration(), now: Fixtures.now
        )
        #expect(request.parameters["app_id"] == Fixtures.appID)
        #expect(request.parameters["method"] == "alipay.trade.page.pay")
        #expect(request.parameters["format"] == "JSON")
        #expect(request.parameters["charset"] == "utf-8")
        #expect(request.parameters["sign_type"] == "RSA2")
        #expect(request.parameters["timestamp"] == "2024-05-01 20:34:56")
        #expect(request.parameters["version"] == "1.0")
        #expect(request.parameters["notify_url"] == Fixtures.notifyURL.absoluteString)
        #expect(request.parameters["return_url"] == Fixtures.returnURL.absoluteString)
        #expect(request.parameters["biz_content"] == #"{"out_trade_no":"FERRY_20240501_0001","product_code":"FAST_INSTANT_TRADE_PAY","subject":"Ferry Pro 年付 \"mirror\" plan","timeout_express":"30m","total_amount":"88.00"}"#)
        #expect(request.parameters["sign"] == request.signature)
        #expect(request.signContent == AlipaySignContent.content(for: request.parameters, excluding: ["sign"]))
        #expect(request.signContent.contains("&sign_type=RSA2&"))
        #expect(request.parameters.count == 11)
    }

    @Test("the URL carries exactly the signed parameters and verifies with the merchant key")
    func urlRoundTrip() throws {
        let request = try alipayPagePayRequest(order: Fixtures.order(), configuration: Fixtures.alipayConfiguration(), now: Fixtures.now)
        let url = request.url.absoluteString
        #expect(url.hasPrefix("https://openapi.alipay.com/gateway.do?app_id="))
        let query = try #require(request.url.query(percentEncoded: true))
        #expect(try FormURLEncoding.decode(Array(query.utf8)) == request.parameters)
        let merchantPublic = try AlipayRSA2.publicKey(TestKeys.merchant.publicPEM)
        #expect(AlipayRSA2.isValid(request.signature, of: request.signContent, by: merchantPublic))
        let strangerPublic = try AlipayRSA2.publicKey(TestKeys.stranger.publicPEM)
        #expect(!AlipayRSA2.isValid(request.signature, of: request.signContent, by: strangerPublic))
        #expect(!AlipayRSA2.isValid(request.signature, of: request.signContent + "x", by: merchantPublic))
    }

    @Test("wap channel, no return URL, no timeout")
    func wap() throws {
        let request = try alipayPagePayRequest(
            order: Fixtures.order(amount: "0.01", subject: "t"), channel: .wap,
            configuration: Fixtures.alipayConfiguration(returnURL: nil), now: Fixtures.now
        )
        #expect(request.parameters["method"] == "alipay.trade.wap.pay")
        #expect(request.parameters["return_url"] == nil)
        #expect(request.parameters["biz_content"] == #"{"out_trade_no":"FERRY_20240501_0001","product_code":"QUICK_WAP_WAY","subject":"t","total_amount":"0.01"}"#)
    }

    @Test("is deterministic for the same inputs and time")
    func deterministic() throws {
        let configuration = try Fixtures.alipayConfiguration()
        let first = try alipayPagePayURL(order: Fixtures.order(), configuration: configuration, now: Fixtures.now)
        let second = try alipayPagePayURL(order: Fixtures.order(), configuration: configuration, now: Fixtures.now)
        let later = try alipayPagePayURL(order: Fixtures.order(), configuration: configuration, now: Fixtures.now + 1)
        #expect(first == second && first != later)
    }

    @Test("refuses non-CNY, too large amounts and bad timeouts")
    func refusals() throws {
        let configuration = try Fixtures.alipayConfiguration()
        let usd = try PaymentOrder(orderNumber: "F1", amount: MoneyAmount(parsing: "1", currency: .usd), subject: "x")
        #expect(throws: PaymentRequestError("Alipay orders must be in CNY")) {
            try alipayPagePayURL(order: usd, configuration: configuration, now: Fixtures.now)
        }
        #expect(throws: PaymentRequestError.self) {
            try alipayPagePayURL(order: Fixtures.order(amount: "100000000.01"), configuration: configuration, now: Fixtures.now)
        }
        _ = try alipayPagePayURL(order: Fixtures.order(amount: "100000000.00"), configuration: configuration, now: Fixtures.now)
        for minutes in [0, -1, 21_601] {
            #expect(throws: PaymentRequestError.self) {
                try alipayPagePayURL(order: Fixtures.order(), timeoutMinutes: minutes, configuration: configuration, now: Fixtures.now)
            }
        }
    }

    @Test("biz_content JSON escapes like the SDK's json.dumps")
    func jsonEscaping() {
        #expect(AlipayBizContentJSON.encode(["b": "\u{1}\u{1f}\u{7f}\u{8}\u{c}\n\r\t\"\\/é中", "a": ""])
            == #"{"a":"","b":"\u0001\u001f"# + "\u{7f}" + #"\b\f\n\r\t\"\\/é中"}"#)
    }
}
