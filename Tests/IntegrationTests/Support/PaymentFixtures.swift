import AsyncHTTPClient
import Foundation
import NIOCore
import PaymentProviders
import Testing
import _CryptoExtras

/// Keys and secrets standing in for an Alipay merchant application, Alipay itself and a
/// Stripe endpoint, generated for one test and written where Ferry reads them.
struct PaymentKeys: Sendable {
    static let appID = "2021000123456789"
    static let sellerID = "2088102147948060"
    static let stripeSecret = "whsec_test_ferry_0123456789abcdefghijklmnop"
    static let gateway = "https://openapi-sandbox.dl.alipaydev.com/gateway.do"
    static let stripeLink = "https://buy.stripe.com/test_ferry_basic"

    let directory: String
    let merchantPublicPEM: String
    let alipayPrivatePEM: String

    /// New keys, written to `directory`.
    static func make(in directory: String) throws -> PaymentKeys {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let merchant = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let alipay = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        try merchant.pkcs8PEMRepresentation.write(toFile: directory + "/merchant.pem", atomically: true, encoding: .utf8)
        try alipay.publicKey.pemRepresentation.write(toFile: directory + "/alipay-public.pem", atomically: true, encoding: .utf8)
        try (stripeSecret + "\n").write(toFile: directory + "/stripe-secrets", atomically: true, encoding: .utf8)
        try merchant.publicKey.pemRepresentation.write(toFile: directory + "/merchant-public.pem", atomically: true, encoding: .utf8)
        return PaymentKeys(directory: directory, merchantPublicPEM: merchant.publicKey.pemRepresentation, alipayPrivatePEM: alipay.pkcs8PEMRepresentation)
    }

    /// The configuration keys that turn both providers on, as `FERRY_*` variables.
    var environment: [String: String] {
        [
            "FERRY_PAYMENTS_ALIPAY_APP_ID": Self.appID, "FERRY_PAYMENTS_ALIPAY_SELLER_ID": Self.sellerID,
            "FERRY_PAYMENTS_ALIPAY_PRIVATE_KEY_FILE": directory + "/merchant.pem",
            "FERRY_PAYMENTS_ALIPAY_ALIPAY_PUBLIC_KEY_FILE": directory + "/alipay-public.pem", "FERRY_PAYMENTS_ALIPAY_GATEWAY": Self.gateway,
            "FERRY_PAYMENTS_STRIPE_WEBHOOK_SECRETS_FILE": directory + "/stripe-secrets", "FERRY_PAYMENTS_STRIPE_LINKS_BASIC": Self.stripeLink,
        ]
    }

    /// The same keys as dotted configuration keys (for an in-process server).
    var configuration: [String: String] {
        [
            "payments.alipay.app-id": Self.appID, "payments.alipay.seller-id": Self.sellerID,
            "payments.alipay.private-key-file": directory + "/merchant.pem", "payments.alipay.alipay-public-key-file": directory + "/alipay-public.pem",
            "payments.alipay.gateway": Self.gateway, "payments.stripe.webhook-secrets-file": directory + "/stripe-secrets",
            "payments.stripe.links.basic": Self.stripeLink,
        ]
    }

    /// A `TRADE_SUCCESS` (or other status) notification for `order`, signed as Alipay signs.
    func alipayNotification(
        order: String, amount: String, tradeNo: String, notifyID: String, status: String = "TRADE_SUCCESS", paidAt: Date = Date(),
        extra: [String: String] = [:]
    ) throws -> String {
        var parameters = [
            "notify_id": notifyID, "notify_type": "trade_status_sync", "notify_time": shanghai(Date()), "charset": "utf-8", "version": "1.0",
            "app_id": Self.appID, "auth_app_id": Self.appID, "seller_id": Self.sellerID, "trade_status": status, "out_trade_no": order, "trade_no": tradeNo,
            "total_amount": amount, "receipt_amount": amount, "buyer_pay_amount": amount, "subject": "Ferry basic, 1 month",
            "gmt_create": shanghai(paidAt.addingTimeInterval(-20)), "gmt_payment": shanghai(paidAt), "buyer_id": "2088102177846880",
        ]
        parameters.merge(extra) { $1 }
        return try alipayTestNotificationBody(parameters: parameters, alipayPrivateKeyPEM: alipayPrivatePEM)
    }

    /// Whether `url`'s signature verifies with the merchant's public key (Alipay's check).
    func alipayURLVerifies(_ url: String) throws -> Bool {
        let query = try #require(URLComponents(string: url)?.percentEncodedQuery)
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            parameters[parts[0]] = parts.count > 1 ? parts[1] : ""
        }
        let signature = try #require(parameters["sign"].flatMap { Data(base64Encoded: $0) })
        let content = AlipaySignContent.content(for: parameters, excluding: AlipaySignContent.requestExclusions)
        let key = try _RSA.Signing.PublicKey(pemRepresentation: merchantPublicPEM)
        return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: Data(content.utf8), padding: .insecurePKCS1v1_5)
    }

    /// The order number and amount an Alipay checkout URL asks to be paid.
    static func order(inAlipayURL url: String) throws -> (number: String, amount: String) {
        let items = try #require(URLComponents(string: url)?.queryItems)
        let business = try #require(items.first { $0.name == "biz_content" }?.value)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(business.utf8)) as? [String: String])
        return (try #require(object["out_trade_no"]), try #require(object["total_amount"]))
    }

    /// A `checkout.session.completed` event for a Stripe Payment Link order.
    static func stripeCheckout(eventID: String, order: String, intent: String, amount: Int, currency: String = "cny", created: Date = Date()) -> String {
        """
        {"id":"\(eventID)","object":"event","api_version":"2024-06-20","created":\(Int(created.timeIntervalSince1970)),"livemode":false,\
        "type":"checkout.session.completed","data":{"object":{"id":"cs_test_\(intent)","object":"checkout.session","amount_total":\(amount),\
        "client_reference_id":"\(order)","currency":"\(currency)","mode":"payment","payment_intent":"\(intent)","payment_link":"plink_test",\
        "payment_status":"paid","status":"complete"}}}
        """
    }

    /// A `charge.refunded` event (`refunded` is the charge's total refunded so far).
    static func stripeRefund(eventID: String, intent: String, amount: Int, refunded: Int, currency: String = "cny", created: Date = Date()) -> String {
        """
        {"id":"\(eventID)","object":"event","created":\(Int(created.timeIntervalSince1970)),"livemode":false,"type":"charge.refunded",\
        "data":{"object":{"id":"ch_\(intent)","object":"charge","amount":\(amount),"amount_refunded":\(refunded),"currency":"\(currency)",\
        "created":\(Int(created.timeIntervalSince1970) - 60),"metadata":{},"payment_intent":"\(intent)","refunded":\(refunded == amount)}}}
        """
    }

    /// `yyyy-MM-dd HH:mm:ss` in Asia/Shanghai, as Alipay writes times.
    func shanghai(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "Asia/Shanghai")
        formatter.dateFormat = "yyyy-MM-dd HH:mm:ss"
        return formatter.string(from: date)
    }
}

/// Posts notifications the way the providers do.
enum ProviderPost {
    /// Alipay's form post; returns the status and the body (`success` or `fail`).
    static func alipay(_ base: String, _ body: String, timeout: Int64 = 30) async throws -> (status: Int, text: String) {
        try await post(base + "/billing/notify/alipay", body: body, headers: ["Content-Type": "application/x-www-form-urlencoded; charset=utf-8"], timeout: timeout)
    }

    /// Stripe's JSON post with a `Stripe-Signature` header made with `secret` at `signedAt`.
    static func stripe(_ base: String, _ body: String, secret: String = PaymentKeys.stripeSecret, signedAt: Date = Date()) async throws -> (status: Int, text: String) {
        let header = stripeSignatureHeader(payload: Data(body.utf8), secret: secret, timestamp: signedAt)
        return try await post(base + "/billing/notify/stripe", body: body, headers: ["Content-Type": "application/json", "Stripe-Signature": header])
    }

    static func post(_ url: String, body: String, headers: [String: String], timeout: Int64 = 30) async throws -> (status: Int, text: String) {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(string: body))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(timeout))
        return (Int(response.status.code), String(buffer: try await response.body.collect(upTo: 1 << 20)))
    }
}
