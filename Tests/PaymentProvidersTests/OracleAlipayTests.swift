import Foundation
import Testing
@testable import PaymentProviders

/// Cross-checks against the official Alipay Python SDK (`alipay-sdk-python`).
@Suite("Oracle: Alipay SDK", .enabled(if: Oracle.enabled, "set FERRY_PAYMENT_ORACLE_PYTHON (scripts/payment-oracle-venv.sh)"))
struct OracleAlipayTests {
    private func sdkSignedBody(_ parameters: [String: String], key: String = TestKeys.alipay.privatePKCS1PEM) throws -> (body: Data, content: String) {
        let answer = try Oracle.call(["op": "alipay_sign_notification", "params": parameters, "private_key": key])
        return (Data(try Oracle.string(answer, "body").utf8), try Oracle.string(answer, "content"))
    }

    private func sdkVerifies(body: Data, publicKey: String = TestKeys.alipay.publicPEM) throws -> Bool {
        try Oracle.bool(Oracle.call(["op": "alipay_verify_notification", "body": String(decoding: body, as: UTF8.self), "public_key": publicKey]), "valid")
    }

    @Test("SDK versions are reported")
    func versions() throws {
        let answer = try Oracle.call(["op": "versions"])
        print("oracle versions: \(answer)")
        #expect(try !Oracle.string(answer, "stripe").isEmpty && !Oracle.string(answer, "alipay").isEmpty)
    }

    @Test("a notification signed by the SDK (sign_with_rsa2) verifies in Ferry")
    func sdkSignedVerifiesInFerry() throws {
        let parameters = Fixtures.alipayNotification(["subject": "Ferry Pro 年付 \"plan\" a+b", "body": "镜像 加速"])
        let (body, content) = try sdkSignedBody(parameters)
        #expect(content == AlipaySignContent.content(for: parameters, excluding: AlipaySignContent.notificationExclusions))
        #expect(String(decoding: body, as: UTF8.self).contains("subject=Ferry+Pro+"))
        let event = try verifyAlipayNotification(rawBody: body, configuration: Fixtures.alipayConfiguration())
        #expect(event.kind == .paymentSucceeded && event.amount.minorUnits == 8800)
    }

    @Test("SDK-signed tampered body and SDK signature by another key are refused by Ferry")
    func sdkSignedRefusals() throws {
        let (body, _) = try sdkSignedBody(Fixtures.alipayNotification())
        let tampered = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "total_amount=88.00", with: "total_amount=8.00").utf8)
        #expect(tampered != body)
        let configuration = try Fixtures.alipayConfiguration()
        #expect(throws: PaymentNotificationError(.badSignature, provider: .alipay)) {
            try verifyAlipayNotification(rawBody: tampered, configuration: configuration)
        }
        let (foreign, _) = try sdkSignedBody(Fixtures.alipayNotification(), key: TestKeys.stranger.privatePKCS1PEM)
        #expect(throws: PaymentNotificationError(.badSignature, provider: .alipay)) {
            try verifyAlipayNotification(rawBody: foreign, configuration: configuration)
        }
    }

    @Test("a notification signed by Ferry verifies with the SDK (verify_with_rsa); tampering and wrong key fail there too")
    func ferrySignedVerifiesInSDK() throws {
        let body = try Fixtures.signedAlipayBody(Fixtures.alipayNotification(["subject": "Ferry 年付 \"Pro\" a+b&c=d"]))
        #expect(try sdkVerifies(body: body))
        let tampered = Data(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "total_amount=88.00", with: "total_amount=8.00").utf8)
        #expect(try !sdkVerifies(body: tampered))
        #expect(try !sdkVerifies(body: body, publicKey: TestKeys.stranger.publicPEM))
    }

    @Test("Ferry's page-pay URL verifies with the SDK; tampered URL and wrong key fail", arguments: AlipayPagePayChannel.allCases)
    func pagePayURLVerifiesInSDK(channel: AlipayPagePayChannel) throws {
        let request = try alipayPagePayRequest(
            order: Fixtures.order(), channel: channel, timeoutMinutes: 90,
            configuration: Fixtures.alipayConfiguration(), now: Fixtures.now
        )
        func sdk(_ url: String, _ key: String = TestKeys.merchant.publicPEM) throws -> [String: Any] {
            try Oracle.call(["op": "alipay_verify_url", "url": url, "public_key": key])
        }
        let answer = try sdk(request.url.absoluteString)
        #expect(try Oracle.bool(answer, "valid"))
        #expect(try Oracle.string(answer, "content") == request.signContent)
        let tampered = request.url.absoluteString.replacingOccurrences(of: "88.00", with: "0.88")
        #expect(tampered != request.url.absoluteString)
        #expect(try !Oracle.bool(sdk(tampered), "valid"))
        #expect(try !Oracle.bool(sdk(request.url.absoluteString, TestKeys.stranger.publicPEM), "valid"))
    }

    @Test("the SDK's own page_execute(GET) yields the same parameters and signature as Ferry", arguments: AlipayPagePayChannel.allCases)
    func sdkPageExecuteMatches(channel: AlipayPagePayChannel) throws {
        let order = try Fixtures.order(subject: "Ferry Pro 年付 \"mirror\" \\ plan")
        let configuration = try Fixtures.alipayConfiguration()
        let ferry = try alipayPagePayRequest(order: order, channel: channel, timeoutMinutes: 30, configuration: configuration, now: Fixtures.now)
        let answer = try Oracle.call([
            "op": "alipay_page_execute",
            "channel": channel == .wap ? "wap" : "page",
            "gateway": configuration.gatewayURL.absoluteString,
            "app_id": configuration.appID,
            "private_key": TestKeys.merchant.privatePKCS1PEM,
            "public_key": TestKeys.alipay.publicPEM,
            "timestamp": ShanghaiTime.format(Fixtures.now),
            "notify_url": Fixtures.notifyURL.absoluteString,
            "return_url": Fixtures.returnURL.absoluteString,
            "biz": [
                "out_trade_no": order.orderNumber, "total_amount": order.amount.canonicalText, "subject": order.subject,
                "product_code": channel.productCode, "timeout_express": "30m",
            ],
        ])
        let sdkParameters = try #require(answer["params"] as? [String: String])
        #expect(sdkParameters == ferry.parameters)
        #expect(sdkParameters["sign"] == ferry.signature)
        #expect(try Oracle.string(answer, "url").hasPrefix(configuration.gatewayURL.absoluteString + "?"))
    }
}
