import Foundation
import _CryptoExtras

/// A Ferry merchant application on the Alipay open platform (RSA2 keys).
///
/// Keys are parsed once, here; the description never shows them.
public struct AlipayConfiguration: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Alipay's production gateway.
    public static let productionGateway = URL(string: "https://openapi.alipay.com/gateway.do")!

    /// The application id (`app_id`).
    public let appID: String
    /// The gateway the browser is sent to. HTTPS, no query or fragment.
    public let gatewayURL: URL
    /// The seller (`seller_id`, the merchant's 2088… partner id); when set,
    /// notifications for another seller are refused.
    public let sellerID: String?
    /// Where Alipay posts asynchronous notifications (`notify_url`).
    public let notifyURL: URL
    /// Where the browser returns after paying (`return_url`), if anywhere.
    public let returnURL: URL?
    let merchantPrivateKey: _RSA.Signing.PrivateKey
    let alipayPublicKey: _RSA.Signing.PublicKey

    /// Creates a configuration.
    ///
    /// - Parameters:
    ///   - appID: Alipay application id.
    ///   - gatewayURL: defaults to ``productionGateway``; must be `https` without query or fragment.
    ///   - merchantPrivateKeyPEM: the application private key, PKCS#1 or PKCS#8, PEM or bare base64.
    ///   - alipayPublicKeyPEM: Alipay's public key ("支付宝公钥"), SPKI PEM or bare base64.
    ///   - sellerID: optional seller id to enforce on notifications.
    ///   - notifyURL: the `notify_url` sent with each request.
    ///   - returnURL: the `return_url` sent with each request.
    public init(
        appID: String,
        gatewayURL: URL = AlipayConfiguration.productionGateway,
        merchantPrivateKeyPEM: String,
        alipayPublicKeyPEM: String,
        sellerID: String? = nil,
        notifyURL: URL,
        returnURL: URL? = nil
    ) throws(PaymentConfigurationError) {
        guard !appID.isEmpty, appID.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            throw PaymentConfigurationError("Alipay app id must be digits")
        }
        if let sellerID, sellerID.isEmpty {
            throw PaymentConfigurationError("Alipay seller id must not be empty when given")
        }
        guard let components = URLComponents(url: gatewayURL, resolvingAgainstBaseURL: false),
              components.scheme == "https", components.host?.isEmpty == false,
              components.query == nil, components.fragment == nil
        else { throw PaymentConfigurationError("Alipay gateway must be an https URL without query or fragment") }
        for url in [notifyURL] + (returnURL.map { [$0] } ?? []) {
            guard ["https", "http"].contains(url.scheme?.lowercased() ?? ""), url.host?.isEmpty == false else {
                throw PaymentConfigurationError("Alipay notify/return URLs must be absolute http(s) URLs")
            }
        }
        self.appID = appID
        self.gatewayURL = gatewayURL
        self.sellerID = sellerID
        self.notifyURL = notifyURL
        self.returnURL = returnURL
        self.merchantPrivateKey = try AlipayRSA2.privateKey(merchantPrivateKeyPEM)
        self.alipayPublicKey = try AlipayRSA2.publicKey(alipayPublicKeyPEM)
    }

    /// Non-secret summary; keys are shown as `<redacted>`.
    public var description: String {
        "AlipayConfiguration(appID: \(appID), gateway: \(gatewayURL.absoluteString), "
            + "sellerID: \(sellerID ?? "nil"), keys: <redacted>)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }
}
