/// Signs notification parameters the way Alipay does and returns the form
/// body, for tests and local simulation only (production notifications are
/// signed by Alipay with its own key).
///
/// Sets `sign_type=RSA2` unless present, signs the notification sign content
/// (see ``AlipaySignContent/notificationExclusions``) with `alipayPrivateKeyPEM`
/// and returns all parameters, sorted by key and percent-encoded, with `sign`.
public func alipayTestNotificationBody(
    parameters: [String: String],
    alipayPrivateKeyPEM: String
) throws(PaymentConfigurationError) -> String {
    let key = try AlipayRSA2.privateKey(alipayPrivateKeyPEM)
    var all = parameters
    if all["sign_type"] == nil { all["sign_type"] = "RSA2" }
    all["sign"] = nil
    let content = AlipaySignContent.content(for: all, excluding: AlipaySignContent.notificationExclusions)
    do {
        all["sign"] = try AlipayRSA2.sign(content, with: key)
    } catch {
        throw PaymentConfigurationError("RSA2 signing failed")
    }
    return FormURLEncoding.encode(
        all.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
    )
}
