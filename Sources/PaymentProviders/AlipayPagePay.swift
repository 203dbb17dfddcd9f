import Foundation

/// Builds and signs an Alipay browser-checkout request (`alipay.trade.page.pay`
/// or `alipay.trade.wap.pay`). Pure: no network call.
///
/// Parameters: `app_id`, `method`, `format=JSON`, `charset=utf-8`,
/// `sign_type=RSA2`, `timestamp` (`now` as `yyyy-MM-dd HH:mm:ss`, Asia/Shanghai),
/// `version=1.0`, `notify_url`, `return_url` (when configured) and
/// `biz_content` = `{"out_trade_no","product_code","subject","timeout_express"?,"total_amount"}`.
///
/// - Parameters:
///   - order: the order; its currency must be CNY and its amount at most 100,000,000.00.
///   - channel: ``AlipayPagePayChannel/page`` (desktop) or ``AlipayPagePayChannel/wap`` (mobile).
///   - timeoutMinutes: optional `timeout_express` in minutes (1–21,600, i.e. up to 15 days).
///   - configuration: the merchant application.
///   - now: the request time (injected).
public func alipayPagePayRequest(
    order: PaymentOrder,
    channel: AlipayPagePayChannel = .page,
    timeoutMinutes: Int? = nil,
    configuration: AlipayConfiguration,
    now: Date
) throws(PaymentRequestError) -> AlipaySignedRequest {
    guard order.amount.currency == .cny else {
        throw PaymentRequestError("Alipay orders must be in CNY")
    }
    guard order.amount.minorUnits <= 100_000_000_00 else {
        throw PaymentRequestError("Alipay total_amount must be at most 100000000.00")
    }
    var business = [
        "out_trade_no": order.orderNumber,
        "total_amount": order.amount.canonicalText,
        "subject": order.subject,
        "product_code": channel.productCode,
    ]
    if let timeoutMinutes {
        guard (1...21_600).contains(timeoutMinutes) else {
            throw PaymentRequestError("timeout must be 1-21600 minutes")
        }
        business["timeout_express"] = "\(timeoutMinutes)m"
    }
    var parameters = [
        "app_id": configuration.appID,
        "method": channel.method,
        "format": "JSON",
        "charset": "utf-8",
        "sign_type": "RSA2",
        "timestamp": ShanghaiTime.format(now),
        "version": "1.0",
        "notify_url": configuration.notifyURL.absoluteString,
        "biz_content": AlipayBizContentJSON.encode(business),
    ]
    if let returnURL = configuration.returnURL {
        parameters["return_url"] = returnURL.absoluteString
    }
    let content = AlipaySignContent.content(for: parameters, excluding: AlipaySignContent.requestExclusions)
    let signature: String
    do {
        signature = try AlipayRSA2.sign(content, with: configuration.merchantPrivateKey)
    } catch {
        throw PaymentRequestError("RSA2 signing failed")
    }
    parameters["sign"] = signature
    let query = FormURLEncoding.encode(
        parameters.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map { ($0.key, $0.value) }
    )
    guard let url = URL(string: configuration.gatewayURL.absoluteString + "?" + query) else {
        throw PaymentRequestError("could not form the gateway URL")
    }
    return AlipaySignedRequest(parameters: parameters, signContent: content, signature: signature, url: url)
}

/// The signed URL to send the browser to for an Alipay checkout; see
/// ``alipayPagePayRequest(order:channel:timeoutMinutes:configuration:now:)``.
public func alipayPagePayURL(
    order: PaymentOrder,
    channel: AlipayPagePayChannel = .page,
    timeoutMinutes: Int? = nil,
    configuration: AlipayConfiguration,
    now: Date
) throws(PaymentRequestError) -> URL {
    try alipayPagePayRequest(
        order: order, channel: channel, timeoutMinutes: timeoutMinutes, configuration: configuration, now: now
    ).url
}
