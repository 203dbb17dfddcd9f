import Foundation
import Testing
import _CryptoExtras
@testable import PaymentProviders

@Suite("Alipay configuration and orders")
struct AlipayConfigurationTests {
    private func configuration(privateKey: String, publicKey: String = TestKeys.alipay.publicPEM, gateway: URL = AlipayConfiguration.productionGateway) throws -> AlipayConfiguration {
        try AlipayConfiguration(
            appID: Fixtures.appID, gatewayURL: gateway, merchantPrivateKeyPEM: privateKey,
            alipayPublicKeyPEM: publicKey, notifyURL: Fixtures.notifyURL
        )
    }

    @Test("loads PKCS#1 and PKCS#8 PEM and bare base64 keys, all signing alike")
    func keyFormats() throws {
        let order = try Fixtures.order()
        let urls = try [
            TestKeys.merchant.privatePKCS8PEM, TestKeys.merchant.privatePKCS1PEM, TestKeys.merchant.privateBareBase64,
        ].map { key in
            try alipayPagePayURL(order: order, configuration: configuration(privateKey: key), now: Fixtures.now)
        }
        #expect(Set(urls).count == 1)
        _ = try configuration(privateKey: TestKeys.merchant.privatePKCS1PEM, publicKey: TestKeys.alipay.publicBareBase64)
    }

    @Test("refuses unreadable and short keys without echoing them")
    func badKeys() throws {
        let short = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024))
        for key in ["", "not a key", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----", short.pemRepresentation] {
            let error = try #require(throws: PaymentConfigurationError.self) { try configuration(privateKey: key) }
            #expect(!error.description.contains("BEGIN"))
        }
        #expect(throws: PaymentConfigurationError.self) {
            try configuration(privateKey: TestKeys.merchant.privatePKCS8PEM, publicKey: "garbage")
        }
    }

    @Test("refuses unusable gateways and app ids")
    func badURLs() {
        for gateway in ["http://openapi.alipay.com/gateway.do", "https://openapi.alipay.com/gateway.do?charset=utf-8", "https://x/#f"] {
            #expect(throws: PaymentConfigurationError.self) {
                try configuration(privateKey: TestKeys.merchant.privatePKCS8PEM, gateway: URL(string: gateway)!)
            }
        }
        #expect(throws: PaymentConfigurationError.self) {
            try AlipayConfiguration(appID: "app-1", merchantPrivateKeyPEM: TestKeys.merchant.privatePKCS8PEM,
                                    alipayPublicKeyPEM: TestKeys.alipay.publicPEM, notifyURL: Fixtures.notifyURL)
        }
    }

    @Test("description shows no key material")
    func redacted() throws {
        let text = String(describing: try Fixtures.alipayConfiguration())
        #expect(text.contains(Fixtures.appID) && text.contains("<redacted>"))
        #expect(!text.contains("PRIVATE") && !text.contains("MII"))
        #expect(String(reflecting: try Fixtures.alipayConfiguration()) == text)
    }

    @Test("order validation")
    func orders() throws {
        let amount = try MoneyAmount(parsing: "1.00", currency: .cny)
        _ = try PaymentOrder(orderNumber: String(repeating: "A", count: 64), amount: amount, subject: "x")
        for number in ["", String(repeating: "A", count: 65), "FERRY-1", "订单1", "a b"] {
            #expect(throws: PaymentRequestError.self) { try PaymentOrder(orderNumber: number, amount: amount, subject: "x") }
        }
        for subject in ["", "a/b", "a=b", "a&b", "line\nbreak", String(repeating: "年", count: 257)] {
            #expect(throws: PaymentRequestError.self) { try PaymentOrder(orderNumber: "F1", amount: amount, subject: subject) }
        }
        #expect(throws: PaymentRequestError.self) {
            try PaymentOrder(orderNumber: "F1", amount: MoneyAmount(parsing: "0.00", currency: .cny), subject: "x")
        }
    }
}
