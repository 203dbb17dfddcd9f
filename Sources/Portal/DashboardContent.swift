import Billing
import Foundation

/// What the dashboard shows: the subscription and its limits, the month's numbers
/// (the same as `ferry usage report --user`), the chart and the top repositories.
struct DashboardContent: Sendable {
    /// The plan, period and live limits of a subscriber.
    struct SubscriptionFigures: Sendable {
        let plan: String
        let price: String
        let status: String
        /// `ok`, `warn` or `bad`, for the status badge's colour.
        let statusTone: String
        let periodStart: String
        let periodEnd: String
        let quota: String
        let quotaUsed: String
        let quotaPercent: String
        /// 0-100, the bar's filled width.
        let quotaBar: Double
        let quotaTone: String
        let quotaWindowStart: String
        let quotaResets: String
        let manifestPullsRemaining: Int
        let manifestPullsLimit: Int
        let manifestWindow: String
        /// The `ratelimit-limit` header value clients see, e.g. `200;w=21600`.
        let rateLimitHeader: String
        let requestsPerMinute: Int
        let maxConcurrentDownloads: Int
        let maxClientAddresses: Int
    }

    /// The month's line of the usage report.
    struct MonthFigures: Sendable {
        let manifestPulls: Int64
        let blobPulls: Int64
        let bytesServed: String
        let hitPercent: String
        let peakClientAddresses: Int
        let likelyShared: Bool
        let due: String
        let paid: String
    }

    /// One row of the top repositories.
    struct RepositoryRow: Sendable {
        let name: String
        let bytesServed: String
        let manifestPulls: Int64
    }

    let month: String
    let hasBilling: Bool
    let subscription: SubscriptionFigures?
    let figures: MonthFigures?
    let chart: UsageChart?
    let repositories: [RepositoryRow]
    let hasRepositories: Bool
    let username: String
    let endpoint: String
    /// Whether the subscriber can pay online (the billing page's Renew buttons).
    let paysOnline: Bool
}
