import Accounts
import Billing
import Foundation
import Hummingbird
import NIOCore
import OCI

/// `GET /account/usage`: a subscriber's own month (plan, period, quota used, rate-limit
/// state), with their username and password or access token as Basic auth. Each call
/// takes a request from the subscriber's request-rate bucket (429 with `Retry-After`
/// when it is empty), as a `/v2` request does.
public struct AccountController: Sendable {
    let access: SubscriberAccess
    let billing: GatewayBilling

    /// Creates the controller.
    public init(access: SubscriberAccess, billing: GatewayBilling) {
        self.access = access
        self.billing = billing
    }

    /// Registers the route.
    public func addRoutes(to router: Router<FerryRequestContext>) {
        router.get("/account/usage", use: usage)
    }

    @Sendable func usage(_ request: Request, context: FerryRequestContext) async throws -> Response {
        guard let basic = BasicCredentials(header: request.headers[.authorization]) else {
            throw OCIError(.unauthorized, "authentication required")
        }
        let (user, _) = try await access.authenticator.authenticate(username: basic.username, secret: basic.secret, clientAddress: context.clientNetwork).authenticated()
        context.log.user = user.username
        let limits = billing.limits
        guard let standing = try await limits.standing(userID: user.id) else {
            throw OCIError(.denied, "\(user.username) has no subscription")
        }
        try limits.admitRequest(standing)
        let document = UsageDocument(standing, limits: limits, used: try await limits.quotaUsed(standing), today: limits.calendar.day(of: access.now()))
        return Response(
            status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: try JSONResponse.prettyEncoder.encode(document)))
        )
    }
}

/// The `/account/usage` document.
struct UsageDocument: Encodable {
    struct PlanPart: Encodable {
        let name: String
        let price: String
    }

    struct SubscriptionPart: Encodable {
        let status: String
        let periodStart: String
        let periodEnd: String
    }

    struct QuotaPart: Encodable {
        let bytes: Int64
        let usedBytes: Int64
        let usedPercent: Double
        let windowStart: String
        /// Nil in grace days: the last window goes on until a renewal starts a new one.
        let resetsOn: String?

        enum CodingKeys: String, CodingKey {
            case bytes, usedBytes, usedPercent, windowStart, resetsOn
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(bytes, forKey: .bytes)
            try container.encode(usedBytes, forKey: .usedBytes)
            try container.encode(usedPercent, forKey: .usedPercent)
            try container.encode(windowStart, forKey: .windowStart)
            try container.encode(resetsOn, forKey: .resetsOn)  // null, not absent
        }
    }

    struct RateLimitPart: Encodable {
        struct ManifestPulls: Encodable {
            let limit: Int
            let windowSeconds: Int
            let remaining: Int
        }

        let requestsPerMinute: Int
        let manifestPulls: ManifestPulls
        let maxConcurrentDownloads: Int
    }

    let user: String
    let plan: PlanPart
    let subscription: SubscriptionPart
    let quota: QuotaPart
    let rateLimit: RateLimitPart

    init(_ standing: Standing, limits: SubscriberLimits, used: Int64, today: CalendarDay) {
        let (plan, subscription, calendar) = (standing.plan, standing.subscription, limits.calendar)
        user = standing.username
        self.plan = PlanPart(name: plan.name, price: UsageReport.money(plan.priceMinor, plan.currency))
        self.subscription = SubscriptionPart(
            status: subscription.status(on: today, graceDays: limits.graceDays, calendar: calendar).rawValue,
            periodStart: subscription.periodStart.description, periodEnd: subscription.periodEnd.description
        )
        quota = QuotaPart(
            bytes: plan.monthlyQuotaBytes, usedBytes: used,
            usedPercent: plan.monthlyQuotaBytes == 0 ? 100 : Double(used * 10000 / max(plan.monthlyQuotaBytes, 1)) / 100,
            windowStart: subscription.quotaWindowStart(on: today, calendar: calendar).description,
            resetsOn: today < subscription.periodEnd ? subscription.quotaResetDay(on: today, calendar: calendar).description : nil
        )
        rateLimit = RateLimitPart(
            requestsPerMinute: plan.requestsPerMinute,
            manifestPulls: .init(limit: plan.manifestPullsPerWindow, windowSeconds: plan.manifestWindowSeconds, remaining: limits.manifestPullsRemaining(standing)),
            maxConcurrentDownloads: plan.maxConcurrentDownloads
        )
    }
}
