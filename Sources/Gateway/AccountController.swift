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
    let auth: GatewayAuth
    let billing: GatewayBilling

    /// Creates the controller.
    public init(auth: GatewayAuth, billing: GatewayBilling) {
        self.auth = auth
        self.billing = billing
    }

    /// Registers the route.
    public func addRoutes(to router: Router<FerryRequestContext>) {
        router.get("/account/usage", use: usage)
    }

    @Sendable func usage(_ request: Request, context: FerryRequestContext) async throws -> Response {
        guard let (username, secret) = TokenController.basicCredentials(request.headers[.authorization]) else {
            throw OCIError(.unauthorized, "authentication required")
        }
        switch try await auth.authenticator.authenticate(username: username, secret: secret, clientAddress: context.clientNetwork) {
        case .authenticated: break
        case .rejected: throw OCIError(.unauthorized, "invalid username or password")
        case .suspended(let message): throw OCIError(.denied, message)
        case .throttled(let retryAfter): throw TooManyRequests(retryAfter: retryAfter, message: "too many failed logins: try again in \(retryAfter) seconds")
        }
        context.record.user = username
        guard let standing = try await billing.limits.standing(username: username) else {
            throw OCIError(.denied, "\(username) has no subscription")
        }
        let limits = billing.limits
        try limits.admitRequest(standing)
        let calendar = limits.calendar
        let today = calendar.day(of: auth.now())
        let used = try await limits.quotaUsed(standing)
        let quotaStart = standing.subscription.quotaWindowStart(on: today, calendar: calendar)
        // In grace days the last window goes on until a renewal starts a new one.
        let resetsOn: Any = today < standing.subscription.periodEnd ? standing.subscription.quotaResetDay(on: today, calendar: calendar).description : NSNull()
        let document: [String: Any] = [
            "user": username,
            "plan": [
                "name": standing.plan.name,
                "price": UsageReport.money(standing.plan.priceMinor, standing.plan.currency),
            ],
            "subscription": [
                "status": standing.subscription.status(on: today, graceDays: limits.graceDays, calendar: calendar).rawValue,
                "periodStart": standing.subscription.periodStart.description,
                "periodEnd": standing.subscription.periodEnd.description,
            ],
            "quota": [
                "bytes": standing.plan.monthlyQuotaBytes,
                "usedBytes": used,
                "usedPercent": standing.plan.monthlyQuotaBytes == 0 ? 100 : Double(used * 10000 / max(standing.plan.monthlyQuotaBytes, 1)) / 100,
                "windowStart": quotaStart.description,
                "resetsOn": resetsOn,
            ],
            "rateLimit": [
                "requestsPerMinute": standing.plan.requestsPerMinute,
                "manifestPulls": [
                    "limit": standing.plan.manifestPullsPerWindow,
                    "windowSeconds": standing.plan.manifestWindowSeconds,
                    "remaining": limits.manifestPullsRemaining(standing),
                ],
                "maxConcurrentDownloads": standing.plan.maxConcurrentDownloads,
            ],
        ]
        let data = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .prettyPrinted])
        return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}
