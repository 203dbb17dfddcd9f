import Accounts
import Billing
import Foundation
import Hummingbird

/// The dashboard: numbers from the same sources as `ferry usage report` and
/// `/account/usage` (the monthly report, the enforcer's quota and pull windows).
extension Portal {
    /// `GET /account`.
    func dashboard(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let content = try await dashboardContent(for: visitor.user)
        return renderer.page("dashboard", frame: frame("Dashboard", .dashboard, for: visitor), content: content)
    }

    /// Gathers the dashboard's numbers for `user`.
    func dashboardContent(for user: User) async throws -> DashboardContent {
        guard let billing else {
            return DashboardContent(
                month: "", hasBilling: false, subscription: nil, figures: nil, chart: nil, repositories: [], hasRepositories: false,
                username: user.username, endpoint: settings.endpoint, paysOnline: false
            )
        }
        let service = billing.service
        let calendar = service.calendar
        let today = calendar.day(of: now())
        let month = String(today.description.prefix(7))
        let range = BillingCalendar.monthRange(month)!
        // By id, never by name: a re-created username sees nothing of a deleted namesake (security review S7).
        let report = try await service.monthlyReport(month: month, userID: user.id)
        let (days, repositories) = try await service.dashboard(userID: user.id, month: month)
        var subscription: DashboardContent.SubscriptionFigures?
        if let standing = try await billing.limits.standing(userID: user.id) {
            subscription = try await figures(standing, today: today, limits: billing.limits)
        }
        let line = report.users.first
        let daysInMonth = calendar.adding(days: -1, to: range.next).day
        return DashboardContent(
            month: month,
            hasBilling: true,
            subscription: subscription,
            figures: line.map { line in
                DashboardContent.MonthFigures(
                    manifestPulls: line.manifestPulls, blobPulls: line.blobPulls, bytesServed: UsageReport.bytes(line.bytesServed),
                    hitPercent: String(format: "%.1f", line.hitRatio * 100), peakClientAddresses: line.peakClientAddresses, likelyShared: line.likelyShared,
                    due: Money.format(line.due), paid: Money.format(line.paid)
                )
            },
            chart: UsageChart(first: range.first, days: daysInMonth, traffic: Dictionary(days.map { ($0.day.day, $0.bytesServed) }) { $0 + $1 }),
            repositories: repositories.map { .init(name: $0.name, bytesServed: UsageReport.bytes($0.bytesServed), manifestPulls: $0.manifestPulls) },
            hasRepositories: !repositories.isEmpty,
            username: user.username,
            endpoint: settings.endpoint,
            paysOnline: billing.checkout != nil
        )
    }

    private func figures(_ standing: Standing, today: CalendarDay, limits: SubscriberLimits) async throws -> DashboardContent.SubscriptionFigures {
        let plan = standing.plan
        let subscription = standing.subscription
        let calendar = limits.calendar
        let status = subscription.status(on: today, graceDays: limits.graceDays, calendar: calendar)
        let used = try await limits.quotaUsed(standing)
        let percent = plan.monthlyQuotaBytes == 0 ? 100 : Double(used) * 100 / Double(plan.monthlyQuotaBytes)
        return DashboardContent.SubscriptionFigures(
            plan: plan.name,
            price: UsageReport.money(plan.priceMinor, plan.currency) + " / month",
            status: status.rawValue,
            statusTone: status == .active ? "ok" : status == .expired ? "bad" : "warn",
            periodStart: subscription.periodStart.description,
            periodEnd: subscription.periodEnd.description,
            quota: UsageReport.bytes(plan.monthlyQuotaBytes),
            quotaUsed: UsageReport.bytes(used),
            quotaPercent: used > 0 && percent < 0.1 ? "< 0.1" : String(format: "%.1f", percent),
            quotaBar: used > 0 ? max(1, UsageChart.rounded(min(100, percent))) : 0,
            quotaTone: percent >= 100 ? "bad" : percent >= 80 ? "warn" : "ok",
            quotaWindowStart: subscription.quotaWindowStart(on: today, calendar: calendar).description,
            // In grace (the period ended) nothing resets by itself: renewing starts a new quota.
            quotaResets: today < subscription.periodEnd
                ? "resets on \(subscription.quotaResetDay(on: today, calendar: calendar))"
                : "the period ended on \(subscription.periodEnd): renewing starts a new quota",
            manifestPullsRemaining: limits.manifestPullsRemaining(standing),
            manifestPullsLimit: plan.manifestPullsPerWindow,
            manifestWindow: Self.duration(plan.manifestWindowSeconds),
            rateLimitHeader: "\(plan.manifestPullsPerWindow);w=\(plan.manifestWindowSeconds)",
            requestsPerMinute: plan.requestsPerMinute,
            maxConcurrentDownloads: plan.maxConcurrentDownloads,
            maxClientAddresses: plan.maxClientAddressesPerDay
        )
    }

    /// `6h`, `30m`, `90s`.
    static func duration(_ seconds: Int) -> String {
        if seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}
