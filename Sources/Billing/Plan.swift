/// A subscription plan: its monthly price and the limits it enforces.
public struct Plan: Sendable, Equatable, Codable {
    public var id: Int64
    public var name: String
    /// Price per month in minor units (fen, cents) of `currency`.
    public var priceMinor: Int64
    public var currency: String
    /// Bytes a subscriber may download per subscription period.
    public var monthlyQuotaBytes: Int64
    /// Sustained request rate (token bucket, burst of one minute's worth).
    public var requestsPerMinute: Int
    /// Manifest pulls per window, Docker Hub style (e.g. 200 per 6 hours).
    public var manifestPullsPerWindow: Int
    public var manifestWindowSeconds: Int
    /// Blob downloads a subscriber may run at once.
    public var maxConcurrentDownloads: Int
    /// Distinct client addresses per day before the account is flagged as shared.
    public var maxClientAddressesPerDay: Int

    /// Creates a plan.
    public init(
        id: Int64 = 0, name: String, priceMinor: Int64, currency: String, monthlyQuotaBytes: Int64,
        requestsPerMinute: Int, manifestPullsPerWindow: Int, manifestWindowSeconds: Int,
        maxConcurrentDownloads: Int, maxClientAddressesPerDay: Int
    ) {
        self.id = id
        self.name = name
        self.priceMinor = priceMinor
        self.currency = currency
        self.monthlyQuotaBytes = monthlyQuotaBytes
        self.requestsPerMinute = requestsPerMinute
        self.manifestPullsPerWindow = manifestPullsPerWindow
        self.manifestWindowSeconds = manifestWindowSeconds
        self.maxConcurrentDownloads = maxConcurrentDownloads
        self.maxClientAddressesPerDay = maxClientAddressesPerDay
    }

    /// Checks the values an operator typed; throws a one-line reason.
    public func validate() throws(BillingError) {
        guard name.range(of: "^[a-z][a-z0-9_-]{0,31}$", options: .regularExpression) != nil else {
            throw .invalid("plan name must be 1-32 lowercase letters, digits, - or _, starting with a letter")
        }
        guard priceMinor >= 0 else { throw .invalid("price must not be negative") }
        guard Money.isCurrency(currency) else {
            throw .invalid("\"\(currency.prefix(12))\" is not an ISO 4217 currency code (such as CNY, USD or EUR)")
        }
        guard monthlyQuotaBytes >= 0 else { throw .invalid("quota must not be negative") }
        guard requestsPerMinute > 0, manifestPullsPerWindow > 0, manifestWindowSeconds > 0,
              maxConcurrentDownloads > 0, maxClientAddressesPerDay > 0
        else { throw .invalid("limits must be positive") }
    }
}

/// Why a billing operation failed; one line, safe for the operator or the subscriber.
public enum BillingError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalid(String)
    case notFound(String)
    case conflict(String)
    case databaseUnavailable(String)

    public var description: String {
        switch self {
        case .invalid(let message), .notFound(let message), .conflict(let message), .databaseUnavailable(let message): message
        }
    }
}
