import Foundation
import Testing
@testable import PaymentProviders

@Suite("Alipay notifications")
struct AlipayNotificationTests {
    private func verify(_ body: Data, configuration: AlipayConfiguration? = nil) throws -> PaymentEvent {
        try verifyAlipayNotification(rawBody: body, configuration: configuration ?? Fixtures.alipayConfiguration())
    }

    private func refusal(_ body: Data, configuration: AlipayConfiguration? = nil) throws -> PaymentNotificationError {
        let configuration = try configuration ?? Fixtures.alipayConfiguration()
        return try #require(throws: PaymentNotificationError.self) {
            try verifyAlipayNotification(rawBody: body, configuration: configuration)
        }
    }

    @Test("TRADE_SUCCESS round trip")
    func success() throws {
        let event = try verify(Fixtures.signedAlipayBody(Fixtures.alipayNotification()))
        #expect(event.provider == .alipay)
        #expect(event.providerEventID == "2024050100222203456078761234567890")
        #expect(event.kind == .paymentSucceeded)
        #expect(event.orderNumber == "FERRY_20240501_0001")
        #expect(event.tradeID == "2024050122001446880500012345")
        #expect(event.amount == (try MoneyAmount(parsing: "88.00", currency: .cny)))
        #expect(event.amount.text == "88.00" && event.amount.minorUnits == 8800 && event.currency == "CNY")
        #expect(event.paidAt == Fixtures.now - 6)
        #expect(event.occurredAt == Fixtures.now - 6)
        #expect(event.rawStatus == "TRADE_SUCCESS")
    }

    @Test("TRADE_FINISHED, TRADE_CLOSED and refunds")
    func kinds() throws {
        #expect(try verify(Fixtures.signedAlipayBody(Fixtures.alipayNotification(["trade_status": "TRADE_FINISHED"]))).kind == .paymentSucceeded)

        let closed = try verify(Fixtures.signedAlipayBody(Fixtures.alipayNotification([
            "trade_status": "TRADE_CLOSED", "gmt_payment": nil, "gmt_close": "2024-05-01 21:00:00",
        ])))
        #expect(closed.kind == .paymentClosed && closed.paidAt == nil)
        #expect(closed.occurredAt == ShanghaiTime.parse("2024-05-01 21:00:00"))

        let partial = try verify(Fixtures.signedAlipayBody(Fixtures.alipayNotification([
            "refund_fee": "20.5", "gmt_refund": "2024-05-02 09:00:00", "out_biz_no": "R1",
        ])))
        #expect(partial.kind == .refunded(totalRefunded: try MoneyAmount(parsing: "20.50", currency: .cny)))
        #expect(partial.amount.minorUnits == 8800 && partial.rawStatus == "TRADE_SUCCESS")
        #expect(partial.occurredAt == ShanghaiTime.parse("2024-05-02 09:00:00"))
        #expect(partial.providerEventID == "2024050100222203456078761234567890")

        let full = try verify(Fixtures.signedAlipayBody(Fixtures.alipayNotification([
            "trade_status": "TRADE_CLOSED", "refund_fee": "88.00", "gmt_refund": "2024-05-03 10:00:00",
        ])))
        #expect(full.kind == .refunded(totalRefunded: try MoneyAmount(parsing: "88", currency: .cny)))
    }

    @Test("other statuses are unsupported but identified")
    func unsupported() throws {
        let error = try refusal(Fixtures.signedAlipayBody(Fixtures.alipayNotification(["trade_status": "WAIT_BUYER_PAY"])))
        #expect(error.kind == .unsupportedEvent)
        #expect(error.providerEventID == "2024050100222203456078761234567890" && error.eventType == "WAIT_BUYER_PAY")
        let other = try refusal(Fixtures.signedAlipayBody(Fixtures.alipayNotification(["notify_type": "trade_settle"])))
        #expect(other.kind == .unsupportedEvent && other.eventType == "trade_settle")
    }

    @Test("tampered body is refused")
    func tampered() throws {
        let body = String(decoding: try Fixtures.signedAlipayBody(Fixtures.alipayNotification()), as: UTF8.self)
        for (from, to) in [("total_amount=88.00", "total_amount=0.01"), ("trade_status=TRADE_SUCCESS", "trade_status=TRADE_FINISHED"),
                           ("out_trade_no=FERRY_20240501_0001", "out_trade_no=FERRY_20240501_0002")] {
            #expect(body.contains(from))
            #expect(try refusal(Data(body.replacingOccurrences(of: from, with: to).utf8)).kind == .badSignature)
        }
        #expect(try refusal(Data((body + "&extra=1").utf8)).kind == .badSignature)
    }

    @Test("signature by another key, or checked with another key, is refused")
    func wrongKey() throws {
        let foreign = try Fixtures.signedAlipayBody(Fixtures.alipayNotification(), key: TestKeys.stranger.privatePKCS1PEM)
        #expect(try refusal(foreign).kind == .badSignature)
        let genuine = try Fixtures.signedAlipayBody(Fixtures.alipayNotification())
        let other = try Fixtures.alipayConfiguration(alipayPublicKey: TestKeys.stranger.publicPEM)
        #expect(try refusal(genuine, configuration: other).kind == .badSignature)
    }

    @Test("missing or undecodable sign is a bad signature; sign_type must be RSA2")
    func signFields() throws {
        let body = String(decoding: try Fixtures.signedAlipayBody(Fixtures.alipayNotification()), as: UTF8.self)
        let withoutSign = body.split(separator: "&").filter { !$0.hasPrefix("sign=") }.joined(separator: "&")
        #expect(try refusal(Data(withoutSign.utf8)).kind == .badSignature)
        #expect(try refusal(Data((withoutSign + "&sign=%21%21").utf8)).kind == .badSignature)
        #expect(try refusal(Data((withoutSign + "&sign=").utf8)).kind == .badSignature)
        #expect(try refusal(Data(body.replacingOccurrences(of: "sign_type=RSA2", with: "sign_type=RSA").utf8)).kind
            == .malformed("sign_type must be RSA2"))
        let error = try refusal(Data(body.replacingOccurrences(of: "total_amount=88.00", with: "total_amount=0.01").utf8))
        let sign = try #require(try FormURLEncoding.decode(Array(body.utf8))["sign"])
        #expect(!error.description.contains(sign) && !error.description.contains("0.01"))
    }

    @Test("app_id and seller_id must match the configuration")
    func appAndSeller() throws {
        let otherApp = try Fixtures.signedAlipayBody(Fixtures.alipayNotification(["app_id": "2021000999999999"]))
        let error = try refusal(otherApp)
        #expect(error.kind == .wrongApp && error.providerEventID != nil)
        let otherSeller = try Fixtures.signedAlipayBody(Fixtures.alipayNotification(["seller_id": "2088000000000000"]))
        #expect(try refusal(otherSeller).kind == .wrongSeller)
        #expect(try verify(otherSeller, configuration: Fixtures.alipayConfiguration(sellerID: nil)).kind == .paymentSucceeded)
    }

    @Test("repeated keys and malformed encoding are refused before anything else")
    func malformedBodies() throws {
        let body = String(decoding: try Fixtures.signedAlipayBody(Fixtures.alipayNotification()), as: UTF8.self)
        #expect(try refusal(Data((body + "&total_amount=88.00").utf8)).kind == .malformed("repeated parameter 'total_amount'"))
        #expect(try refusal(Data((body + "&x=%zz").utf8)).kind == .malformed("malformed percent-encoding"))
        #expect(try refusal(Data((body + "&x=%E4%B8").utf8)).kind == .malformed("parameter is not valid UTF-8"))
        #expect(try refusal(Data()).kind == .malformed("empty body"))
    }

    @Test("empty values are not signed; spaces may arrive as + or %20")
    func encodings() throws {
        var parameters = Fixtures.alipayNotification(["body": "", "subject": "Ferry Pro 年付 a+b"])
        let body = String(decoding: try Fixtures.signedAlipayBody(parameters), as: UTF8.self)
        #expect(body.contains("&body=&") && body.contains("subject=Ferry%20Pro%20%E5%B9%B4%E4%BB%98%20a%2Bb"))
        #expect(try verify(Data(body.utf8)).kind == .paymentSucceeded)
        let plus = body.replacingOccurrences(of: "Ferry%20Pro%20", with: "Ferry+Pro+")
        #expect(try verify(Data(plus.utf8)).kind == .paymentSucceeded)
        parameters["charset"] = "gbk"
        #expect(try refusal(Fixtures.signedAlipayBody(parameters)).kind == .malformed("charset must be utf-8"))
    }

    @Test("signed but malformed fields are refused", arguments: [
        (["total_amount": "88.001"], "total_amount: amount has more than 2 decimal digit(s)"),
        (["total_amount": "-1"], "total_amount: amount is not a plain decimal number"),
        (["gmt_payment": "2024-05-01T20:34:50"], "gmt_payment is not yyyy-MM-dd HH:mm:ss"),
        (["notify_id": nil], "missing notify_id"),
        (["out_trade_no": ""], "missing out_trade_no"),
        (["trade_no": nil], "missing trade_no"),
        (["trade_status": nil], "missing trade_status"),
        (["gmt_refund": "2024-05-02 09:00:00"], "missing refund_fee"),
        (["gmt_payment": nil, "notify_time": nil], "missing notify_time"),
    ] as [([String: String?], String)])
    func malformedFields(overrides: [String: String?], reason: String) throws {
        let error = try refusal(Fixtures.signedAlipayBody(Fixtures.alipayNotification(overrides)))
        #expect(error.kind == .malformed(reason))
    }
}
