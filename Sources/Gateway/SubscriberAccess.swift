import Accounts
import Foundation
import OCI

/// What the gateway needs to run in `subscribers` mode: token issuing and checking,
/// credential checks, and the caches that make revocations bite within seconds.
public struct SubscriberAccess: Sendable {
    public let tokens: RegistryTokenService
    public let authenticator: Authenticator
    public let accounts: AccountService
    /// Whether the credential behind a bearer token still stands (re-read every few seconds).
    public let credentials: CredentialStatusCache
    public let mirrorKeys: MirrorKeyResolver
    /// Refresh grants, with unusable tokens throttled per client.
    public let refreshTokens: RefreshTokenRedeemer
    public let now: @Sendable () -> Date

    /// Wires the access parts over one user repository; `statusLifetime` is how long a
    /// user's status or a mirror key's owner is remembered (how soon a suspension or
    /// revocation bites).
    public init(
        tokens: RegistryTokenService,
        authenticator: Authenticator,
        accounts: AccountService,
        users: any UserRepository,
        statusLifetime: TimeInterval = 5,
        now: @escaping @Sendable () -> Date
    ) {
        self.tokens = tokens
        self.authenticator = authenticator
        self.accounts = accounts
        self.credentials = CredentialStatusCache(users: users, lifetime: statusLifetime, now: now)
        self.mirrorKeys = MirrorKeyResolver(accounts: accounts, lifetime: statusLifetime, now: now)
        self.refreshTokens = RefreshTokenRedeemer(accounts: accounts, now: now)
        self.now = now
    }
}

/// A request that is malformed in a way no OCI error code names: answered 400 with
/// `code` in the OCI error document.
struct BadRequest: Error {
    let code: OCIErrorCode
    let message: String
}

/// A request refused for being too frequent, with the seconds to wait.
struct TooManyRequests: Error {
    let retryAfter: Int
    let message: String
}
