import Foundation

/// Redeems refresh tokens (docker's stored logins) for the token service. Every
/// unknown token costs a database write, so misses are throttled per client network and
/// per IPv6 /48, as unknown mirror keys are.
public final class RefreshTokenRedeemer: Sendable {
    /// What a refresh grant turned out to be.
    public enum Outcome: Sendable, Equatable {
        /// A usable token and its (active) user.
        case redeemed(User, RefreshToken)
        /// Unknown, revoked, expired, from before a password change, minted with a revoked
        /// access token, or its user is suspended.
        case rejected
        /// Too many unusable tokens from this client lately.
        case throttled(retryAfter: Int)
    }

    let accounts: AccountService
    let misses: LoginThrottle
    let wideMisses: LoginThrottle
    let now: @Sendable () -> Date

    /// Creates the redeemer.
    public init(
        accounts: AccountService,
        misses: LoginThrottle = LoginThrottle(maxFailures: 30, window: 600, baseLockout: 60, maxLockout: 900),
        wideMisses: LoginThrottle = LoginThrottle(maxFailures: 120, window: 600, baseLockout: 60, maxLockout: 900),
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.accounts = accounts
        self.misses = misses
        self.wideMisses = wideMisses
        self.now = now
    }

    /// Redeems `secret` for a request from `clientAddress` (an IPv4 address or IPv6 /64).
    public func redeem(_ secret: String, clientAddress: String?) async throws -> Outcome {
        let now = now()
        let client = ["client:\(clientAddress ?? "-")"]
        let wide = clientAddress.flatMap(ClientNetwork.wideKey).map { ["client48:\($0)"] } ?? []
        if let wait = misses.reserve(client, now: now) { return .throttled(retryAfter: wait) }
        if let wait = wideMisses.reserve(wide, now: now) {
            misses.settle(client, failed: false, now: now)
            return .throttled(retryAfter: wait)
        }
        let redeemed: (User, RefreshToken)?
        do {
            redeemed = try await accounts.redeemRefreshToken(secret, clientAddress: clientAddress)
        } catch {
            misses.settle(client, failed: false, now: now)
            wideMisses.settle(wide, failed: false, now: now)
            throw error
        }
        misses.settle(client, failed: redeemed == nil, now: now)
        wideMisses.settle(wide, failed: redeemed == nil, now: now)
        guard let (user, token) = redeemed else { return .rejected }
        return .redeemed(user, token)
    }
}
