import Foundation
@testable import PaymentProviders

/// Shared values for the tests.
enum Fixtures {
    static let appID = "2021000123456789"
    static let sellerID = "2088102147948060"
    static let notifyURL = URL(string: "https://ferry.example/payments/alipay/notify")!
    static let returnURL = URL(string: "https://ferry.example/billing/return")!
    /// 2024-05-01 12:34:56 UTC = 2024-05-01 20:34:56 in Shanghai.
    static let now = Date(timeIntervalSince1970: 1_714_566_896)

    static func alipayConfiguration(
        sellerID: String? = Fixtures.sellerID,
        returnURL: URL? = Fixtures.returnURL,
        alipayPublicKey: String = TestKeys.alipay.publicPEM
    ) throws -> AlipayConfiguration {
        try AlipayConfiguration(
            appID: appID,
            merchantPrivateKeyPEM: TestKeys.merchant.privatePKCS8PEM,
            alipayPublicKeyPEM: alipayPublicKey,
            sellerID: sellerID,
            notifyURL: notifyURL,
            returnURL: returnURL
        )
    }

    static func order(
        number: String = "FERRY_20240501_0001",
        amount: String = "88.00",
        subject: String = "Ferry Pro 年付 \"mirror\" plan"
    ) throws -> PaymentOrder {
        try PaymentOrder(orderNumber: number, amount: MoneyAmount(parsing: amount, currency: .cny), subject: subject)
    }

    /// A realistic `TRADE_SUCCESS` notification, unsigned.
    static func alipayNotification(_ overrides: [String: String?] = [:]) -> [String: String] {
        var parameters = [
            "gmt_create": "2024-05-01 20:30:00",
            "charset": "utf-8",
            "seller_email": "billing@ferry.example",
            "subject": "Ferry Pro 年付 plan",
            "buyer_id": "2088102177846880",
            "invoice_amount": "88.00",
            "notify_id": "2024050100222203456078761234567890",
            "fund_bill_list": "[{\"amount\":\"88.00\",\"fundChannel\":\"ALIPAYACCOUNT\"}]",
            "notify_type": "trade_status_sync",
            "trade_status": "TRADE_SUCCESS",
            "receipt_amount": "88.00",
            "app_id": appID,
            "buyer_pay_amount": "88.00",
            "seller_id": sellerID,
            "gmt_payment": "2024-05-01 20:34:50",
            "notify_time": "2024-05-01 20:34:56",
            "version": "1.0",
            "out_trade_no": "FERRY_20240501_0001",
            "total_amount": "88.00",
            "trade_no": "2024050122001446880500012345",
            "auth_app_id": appID,
            "buyer_logon_id": "fer***@example.com",
            "point_amount": "0.00",
        ]
        for (key, value) in overrides { parameters[key] = value }
        return parameters
    }

    /// Signs `parameters` with the stand-in Alipay key (or `key`) and returns the body bytes.
    static func signedAlipayBody(_ parameters: [String: String], key: String = TestKeys.alipay.privatePKCS8PEM) throws -> Data {
        Data(try alipayTestNotificationBody(parameters: parameters, alipayPrivateKeyPEM: key).utf8)
    }

    static let stripeSecret = "whsec_test_0123456789abcdefghijklmnopqrstuv"
    static let stripeOldSecret = "whsec_test_previous_secret_zyxwvutsrqponm"

    /// A `checkout.session.completed` event body.
    static func stripeCheckoutEvent(
        id: String = "evt_1PAbCdEfGhIjKlMn",
        type: String = "checkout.session.completed",
        paymentStatus: String = "paid",
        paymentIntent: String? = "pi_3PAbCdEfGhIjKlMn0",
        amount: Int64 = 1999,
        currency: String = "usd",
        clientReferenceID: String? = "FERRY_20240501_0002",
        created: Int64 = 1_714_566_890
    ) -> Data {
        let intent = paymentIntent.map { "\"\($0)\"" } ?? "null"
        let reference = clientReferenceID.map { "\"\($0)\"" } ?? "null"
        return Data("""
        {"id":"\(id)","object":"event","api_version":"2024-04-10","created":\(created),"livemode":false,\
        "pending_webhooks":1,"type":"\(type)","data":{"object":{"id":"cs_test_a1B2c3","object":"checkout.session",\
        "amount_subtotal":\(amount),"amount_total":\(amount),"client_reference_id":\(reference),"currency":"\(currency)",\
        "customer_details":{"email":"buyer@example.com","name":"Zhang San 张三"},"mode":"payment",\
        "payment_intent":\(intent),"payment_link":"plink_1PAb","payment_status":"\(paymentStatus)","status":"complete"}}}
        """.utf8)
    }

    /// A `charge.refunded` event body.
    static func stripeRefundEvent(metadata: String = #"{"order_number":"FERRY_20240501_0002"}"#) -> Data {
        Data("""
        {"id":"evt_3PRefund0001","object":"event","created":1714570000,"livemode":false,"type":"charge.refunded",\
        "data":{"object":{"id":"ch_3PAbCdEfGhIjKlMn0","object":"charge","amount":1999,"amount_refunded":500,\
        "currency":"usd","created":1714566880,"metadata":\(metadata),"payment_intent":"pi_3PAbCdEfGhIjKlMn0",\
        "refunded":false,"status":"succeeded"}}}
        """.utf8)
    }
}
