import Billing
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PaymentProviders
import Synchronization

/// `POST /billing/notify/alipay` and `POST /billing/notify/stripe`: the providers'
/// signed notifications. The signature is checked on the raw body (at most 64 KiB)
/// before anything is parsed; the event is then stored and applied in one transaction,
/// and only after the commit is the provider answered (`success` / 200). A refused
/// notification (bad signature, malformed) gets 400 / `fail` and changes nothing; a
/// database that cannot take it gets 503 / `fail`, so the provider retries. No cookies,
/// no plan enforcement; each client address may post 600 a minute. The address is used
/// for that limit and the log only, never as proof of who sent a notification.
public struct PaymentNotificationController: Sendable {
    let inbox: PaymentInbox
    let metrics: FerryMetrics
    let limiter: NotificationRateLimiter

    /// Largest notification body accepted.
    static let maximumBody = 64 * 1024

    /// Creates the controller.
    public init(inbox: PaymentInbox, metrics: FerryMetrics, now: @escaping @Sendable () -> Date) {
        self.inbox = inbox
        self.metrics = metrics
        self.limiter = NotificationRateLimiter(requestsPerMinute: 600, now: now)
    }

    /// Registers the routes.
    public func addRoutes(to router: Router<FerryRequestContext>) {
        router.post("/billing/notify/alipay") { request, context in await notify(.alipay, request, context: context) }
        router.post("/billing/notify/stripe") { request, context in await notify(.stripe, request, context: context) }
    }

    func notify(_ provider: PaymentProvider, _ request: Request, context: FerryRequestContext) async -> Response {
        guard limiter.admit(context.clientNetwork ?? "-") else {
            metrics.paymentNotification(provider: provider.rawValue, outcome: "throttled")
            return answer(provider, .tooManyRequests, accepted: false, message: "too many notifications from this address")
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maximumBody)
        } catch {
            metrics.paymentNotification(provider: provider.rawValue, outcome: "refused")
            return answer(provider, .contentTooLarge, accepted: false, message: "the body is larger than 64 KiB")
        }
        let signature = request.headers[values: .stripeSignature].first
        switch await inbox.receive(provider, body: Array(body.readableBytesView), signatureHeader: signature) {
        case .stored(let event, let duplicate):
            metrics.paymentNotification(provider: provider.rawValue, outcome: duplicate ? "duplicate" : event.outcome.rawValue)
            context.logger.info("payment notification", metadata: [
                "provider": "\(provider.rawValue)", "event": "\(event.eventID)", "type": "\(event.eventType)", "outcome": "\(event.outcome.rawValue)",
                "duplicate": "\(duplicate)", "inbox-id": "\(event.id)",
            ])
            return answer(provider, .ok, accepted: true, message: "")
        case .refused(let error):
            metrics.paymentNotification(provider: provider.rawValue, outcome: "refused")
            context.logger.warning("payment notification refused", metadata: [
                "provider": "\(provider.rawValue)", "reason": "\(error)", "client": "\(context.clientAddress ?? "-")",
                "content-type": "\(request.headers[.contentType] ?? "-")", "bytes": "\(body.readableBytes)", "signature-header": "\(signature == nil ? "absent" : "present")",
            ])
            return answer(provider, .badRequest, accepted: false, message: error.description)
        case .unavailable(let reason):
            metrics.paymentNotification(provider: provider.rawValue, outcome: "unavailable")
            context.logger.error("payment notification not stored: the provider will retry", metadata: ["provider": "\(provider.rawValue)", "error": "\(reason)"])
            return answer(provider, .serviceUnavailable, accepted: false, message: "temporarily unavailable, retry later")
        case .notConfigured:
            return answer(provider, .notFound, accepted: false, message: "\(provider.rawValue) payments are not configured")
        }
    }

    /// Alipay reads the body (`success`, else it retries); Stripe reads the status.
    private func answer(_ provider: PaymentProvider, _ status: HTTPResponse.Status, accepted: Bool, message: String) -> Response {
        let text: String
        let type: String
        switch provider {
        case .alipay:
            text = accepted ? "success" : "fail"
            type = "text/plain; charset=utf-8"
        case .stripe:
            text = accepted ? "{}" : (try? String(decoding: JSONResponse.encoder.encode(["error": message]), as: UTF8.self)) ?? "{}"
            type = "application/json"
        }
        return Response(status: status, headers: [.contentType: type, .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A per-address limit on notifications (token bucket with a minute's burst).
final class NotificationRateLimiter: Sendable {
    let requestsPerMinute: Int
    let now: @Sendable () -> Date
    private let buckets = Mutex<[String: TokenBucket]>([:])

    init(requestsPerMinute: Int, now: @escaping @Sendable () -> Date) {
        self.requestsPerMinute = requestsPerMinute
        self.now = now
    }

    /// Takes a request for `client`; false when its bucket is empty.
    func admit(_ client: String) -> Bool {
        let now = now()
        return buckets.withLock { buckets in
            if buckets.count > 10_000 { buckets.removeAll() }
            var bucket = buckets[client] ?? TokenBucket(capacity: Double(requestsPerMinute), refillPerSecond: Double(requestsPerMinute) / 60, now: now)
            let wait = bucket.take(now: now)
            buckets[client] = bucket
            return wait == nil
        }
    }
}

extension HTTPField.Name {
    /// Stripe's webhook signature header.
    static let stripeSignature = Self("Stripe-Signature")!
}
