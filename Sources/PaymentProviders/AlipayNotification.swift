import Foundation

/// Verifies an Alipay asynchronous notification (`trade_status_sync`) on its
/// raw `application/x-www-form-urlencoded` body and translates it.
///
/// Steps: strict form decoding (percent-encoding, `+` as space, UTF-8,
/// repeated keys refused); `sign_type` must be `RSA2` and `charset` (if sent)
/// UTF-8; the RSA2 `sign` must verify with Alipay's public key over all other
/// non-empty parameters except `sign_type` (see ``AlipaySignContent``); then
/// `app_id` must be the configured one, and `seller_id` too when configured.
///
/// Mapping: a notification with `refund_fee` or `gmt_refund` is
/// ``PaymentEventKind/refunded(totalRefunded:)`` (`refund_fee`, cumulative);
/// otherwise `TRADE_SUCCESS` / `TRADE_FINISHED` are
/// ``PaymentEventKind/paymentSucceeded`` and `TRADE_CLOSED` is
/// ``PaymentEventKind/paymentClosed``; anything else (e.g. `WAIT_BUYER_PAY`)
/// is ``PaymentNotificationError/Kind/unsupportedEvent``. The event id is `notify_id`.
///
/// Answer Alipay with the body `success` once the event is stored; Alipay
/// redelivers until then, with the same `notify_id`.
public func verifyAlipayNotification(
    rawBody: some DataProtocol,
    configuration: AlipayConfiguration
) throws(PaymentNotificationError) -> PaymentEvent {
    func refuse(_ kind: PaymentNotificationError.Kind, _ id: String? = nil, _ type: String? = nil) -> PaymentNotificationError {
        PaymentNotificationError(kind, provider: .alipay, providerEventID: id, eventType: type)
    }
    let parameters: [String: String]
    do {
        parameters = try FormURLEncoding.decode(Array(rawBody))
    } catch {
        throw refuse(.malformed(error.reason))
    }
    guard let signature = parameters["sign"], !signature.isEmpty else { throw refuse(.badSignature) }
    guard parameters["sign_type"] == "RSA2" else { throw refuse(.malformed("sign_type must be RSA2")) }
    if let charset = parameters["charset"], !["utf-8", "utf8"].contains(charset.lowercased()) {
        throw refuse(.malformed("charset must be utf-8"))
    }
    let content = AlipaySignContent.content(for: parameters, excluding: AlipaySignContent.notificationExclusions)
    guard AlipayRSA2.isValid(signature, of: content, by: configuration.alipayPublicKey) else {
        throw refuse(.badSignature)
    }

    let notifyID = parameters["notify_id"].flatMap { $0.isEmpty ? nil : $0 }
    let status = parameters["trade_status"]
    guard parameters["app_id"] == configuration.appID else { throw refuse(.wrongApp, notifyID, status) }
    if let seller = configuration.sellerID, parameters["seller_id"] != seller {
        throw refuse(.wrongSeller, notifyID, status)
    }
    func required(_ key: String) throws(PaymentNotificationError) -> String {
        guard let value = parameters[key], !value.isEmpty else { throw refuse(.malformed("missing \(key)"), notifyID, status) }
        return value
    }
    func time(_ key: String) throws(PaymentNotificationError) -> Date? {
        guard let text = parameters[key], !text.isEmpty else { return nil }
        guard let date = ShanghaiTime.parse(text) else { throw refuse(.malformed("\(key) is not yyyy-MM-dd HH:mm:ss"), notifyID, status) }
        return date
    }
    func money(_ key: String) throws(PaymentNotificationError) -> MoneyAmount {
        let text = try required(key)
        do {
            return try MoneyAmount(parsing: text, currency: .cny)
        } catch {
            throw refuse(.malformed("\(key): \(error)"), notifyID, status)
        }
    }

    let eventID = try required("notify_id")
    if let type = parameters["notify_type"], type != "trade_status_sync" {
        throw refuse(.unsupportedEvent, eventID, type)
    }
    let tradeStatus = try required("trade_status")
    let orderNumber = try required("out_trade_no")
    let tradeID = try required("trade_no")
    let amount = try money("total_amount")
    let paidAt = try time("gmt_payment")
    let notifiedAt = try time("notify_time")

    let kind: PaymentEventKind
    let occurredAt: Date?
    let isRefund = !(parameters["refund_fee"] ?? "").isEmpty || !(parameters["gmt_refund"] ?? "").isEmpty
    if isRefund {
        kind = .refunded(totalRefunded: try money("refund_fee"))
        occurredAt = try time("gmt_refund")
    } else {
        switch tradeStatus {
        case "TRADE_SUCCESS", "TRADE_FINISHED":
            kind = .paymentSucceeded
            occurredAt = paidAt
        case "TRADE_CLOSED":
            kind = .paymentClosed
            occurredAt = try time("gmt_close")
        default:
            throw refuse(.unsupportedEvent, eventID, tradeStatus)
        }
    }
    guard let when = occurredAt ?? notifiedAt else {
        throw refuse(.malformed("missing notify_time"), eventID, tradeStatus)
    }
    return PaymentEvent(
        provider: .alipay,
        providerEventID: eventID,
        kind: kind,
        orderNumber: orderNumber,
        tradeID: tradeID,
        amount: amount,
        paidAt: paidAt,
        occurredAt: when,
        rawStatus: tradeStatus
    )
}
