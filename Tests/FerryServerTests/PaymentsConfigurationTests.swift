import Billing
import FerryServer
import Foundation
import Testing
import _CryptoExtras

/// The `payments.*` keys: both providers off by default, on with their keys from files or
/// the environment, links per plan from the file or `FERRY_PAYMENTS_STRIPE_LINKS_<PLAN>`,
/// and every mistake a one-line error naming the key.
@Suite struct PaymentsConfigurationTests {
    static let directory: String = {
        let directory = NSTemporaryDirectory() + "ferry-payments-config-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let merchant = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        let alipay = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
        try? merchant.pkcs8PEMRepresentation.write(toFile: directory + "/merchant.pem", atomically: true, encoding: .utf8)
        try? alipay.publicKey.pemRepresentation.write(toFile: directory + "/alipay.pem", atomically: true, encoding: .utf8)
        try? "whsec_current\nwhsec_previous\n".write(toFile: directory + "/stripe", atomically: true, encoding: .utf8)
        try? "whsec_a\nwhsec_b\nwhsec_c\n".write(toFile: directory + "/three", atomically: true, encoding: .utf8)
        return directory
    }()

    func load(_ environment: [String: String] = [:], file: String? = nil) async throws -> FerryConfiguration {
        var path: String?
        if let file {
            path = Self.directory + "/config-\(UUID().uuidString).json"
            try file.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        let base = ["FERRY_DATABASE_URL": "postgres://ferry@db/ferry", "FERRY_PUBLIC_URL": "https://mirror.example"]
        return try await FerryConfiguration.load(environment: base.merging(environment) { $1 }, configFile: path).configuration
    }

    func error(_ environment: [String: String] = [:], file: String? = nil) async -> String {
        do {
            _ = try await load(environment, file: file)
            return ""
        } catch {
            return "\(error)"
        }
    }

    var alipay: [String: String] {
        [
            "FERRY_PAYMENTS_ALIPAY_APP_ID": "2021000123456789", "FERRY_PAYMENTS_ALIPAY_PRIVATE_KEY_FILE": Self.directory + "/merchant.pem",
            "FERRY_PAYMENTS_ALIPAY_ALIPAY_PUBLIC_KEY_FILE": Self.directory + "/alipay.pem",
        ]
    }

    @Test func paymentsAreOffUntilConfigured() async throws {
        let configuration = try await load()
        #expect(!configuration.payments.isEnabled && configuration.payments.summary == "off")
        #expect(configuration.payments.checkout.orderLifetime == .seconds(1800))
        #expect(!configuration.billing.timeZoneIsSet && !configuration.billing.graceDaysIsSet)
        let set = try await load(["FERRY_BILLING_TIME_ZONE": "Asia/Shanghai", "FERRY_BILLING_GRACE_DAYS": "7"])
        #expect(set.billing.timeZoneIsSet && set.billing.graceDaysIsSet && set.billing.settings.graceDays == 7)
    }

    @Test func alipayAndStripeFromFilesAndTheEnvironment() async throws {
        let environment = alipay.merging([
            "FERRY_PAYMENTS_STRIPE_WEBHOOK_SECRETS_FILE": Self.directory + "/stripe", "FERRY_PAYMENTS_STRIPE_LINKS_BASIC": "https://buy.stripe.com/basic",
            "FERRY_PAYMENTS_ORDER_LIFETIME": "1h",
        ]) { $1 }
        let configuration = try await load(environment, file: #"{"payments": {"stripe": {"links": {"pro-plus": "https://buy.stripe.com/pro"}}}}"#)
        let payments = configuration.payments
        #expect(payments.checkout.alipay?.notifyURL.absoluteString == "https://mirror.example/billing/notify/alipay")
        #expect(payments.checkout.alipay?.returnURL?.absoluteString == "https://mirror.example/account/billing")
        #expect(payments.checkout.alipay?.gatewayURL.absoluteString == "https://openapi.alipay.com/gateway.do")
        #expect(payments.stripeSecrets == ["whsec_current", "whsec_previous"])
        #expect(payments.checkout.stripeLinks.keys.sorted() == ["basic", "pro-plus"])
        #expect(payments.checkout.orderLifetime == .seconds(3600))
        #expect(!payments.summary.contains("whsec") && !payments.summary.contains("BEGIN"))
        #expect(payments.summary.contains("alipay app 2021000123456789"))
    }

    @Test func mistakesNameTheirKey() async {
        #expect(await error(["FERRY_PAYMENTS_ALIPAY_APP_ID": "2021000123456789"]).hasPrefix("payments.alipay.private-key-file: required"))
        #expect(await error(["FERRY_PAYMENTS_ALIPAY_SELLER_ID": "2088"]).hasPrefix("payments.alipay.app-id: required"))
        #expect(await error(alipay.merging(["FERRY_PAYMENTS_ALIPAY_APP_ID": "not-digits"]) { $1 }).hasPrefix("payments.alipay:"))
        #expect(await error(alipay.merging(["FERRY_PAYMENTS_ALIPAY_GATEWAY": "ftp://x"]) { $1 }).hasPrefix("payments.alipay.gateway:"))
        #expect(await error(["FERRY_PAYMENTS_STRIPE_WEBHOOK_SECRETS_FILE": Self.directory + "/three"]).contains("at most two"))
        #expect(await error(["FERRY_PAYMENTS_STRIPE_WEBHOOK_SECRETS": "not-a-secret"]).contains("whsec_"))
        #expect(await error(["FERRY_PAYMENTS_STRIPE_LINKS_BASIC": "http://buy.stripe.com/basic"]).hasPrefix("payments.stripe.links.basic:"))
        #expect(await error(["FERRY_PAYMENTS_ORDER_LIFETIME": "10s"]).hasPrefix("payments.order-lifetime:"))
        #expect(await error(["FERRY_PAYMENTS_ALIPAY_PRIVATE_KEY_FILE": "/nonexistent"]).hasPrefix("payments.alipay.app-id: required"))
        #expect(await error(file: #"{"payments": {"alipay": {"app_id": "1"}}}"#).hasPrefix("payments.alipay.app_id: not a Ferry setting"))
    }
}
