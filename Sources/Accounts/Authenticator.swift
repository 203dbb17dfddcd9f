import Crypto
import Foundation
import Logging
import Synchronization

/// Checks a username and a password or personal access token, as sent with
/// `docker login` or to the token service.
///
/// Argon2 costs ~25 ms, so a successful check is remembered for `cacheLifetime`,
/// keyed by an HMAC of username and secret under a per-process random key (the
/// password itself is never kept). A cached success still re-reads the user and the
/// token, so a suspension or a revocation takes effect at once. Failed attempts are
/// throttled per username and per client address.
public final class Authenticator: Sendable {
    /// The result of a credential check.
    public enum Outcome: Sendable, Equatable {
        case authenticated(User)
        /// Wrong username, password or token (deliberately not saying which).
        case rejected
        case suspended(String)
        /// Too many failures; try again after this many seconds.
        case throttled(retryAfter: Int)
    }

    let users: any UserRepository
    let hasher: Argon2PasswordHasher
    let throttle: LoginThrottle
    let now: @Sendable () -> Date
    let cacheLifetime: TimeInterval
    let logger: Logger
    private let cacheKey = SymmetricKey(size: .bits256)
    private let cache = Mutex<[Data: CachedSuccess]>([:])
    /// A valid hash to verify against when the user does not exist, so timing does not tell.
    private let decoyHash: String

    private struct CachedSuccess {
        let userID: Int64
        let accessTokenID: Int64?
        let expires: Date
    }

    /// Creates an authenticator.
    public init(
        users: any UserRepository,
        hasher: Argon2PasswordHasher,
        throttle: LoginThrottle = LoginThrottle(),
        cacheLifetime: TimeInterval = 60,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.users = users
        self.hasher = hasher
        self.throttle = throttle
        self.cacheLifetime = cacheLifetime
        self.logger = logger
        self.now = now
        self.decoyHash = try Argon2PasswordHasher.encode(password: Array("decoy".utf8), salt: Array(repeating: 7, count: 16), parameters: hasher.parameters)
    }

    /// Checks credentials; `clientAddress` keys the per-address throttle.
    public func authenticate(username: String, secret: String, clientAddress: String?) async throws -> Outcome {
        let now = now()
        let throttleKeys = ["user:\(username)"] + (clientAddress.map { ["ip:\($0)"] } ?? [])
        if let retryAfter = throttle.retryAfter(throttleKeys, now: now) {
            return .throttled(retryAfter: retryAfter)
        }
        let cacheKey = Data(HMAC<SHA256>.authenticationCode(for: Data("\(username)\u{0}\(secret)".utf8), using: self.cacheKey))
        if let cached = cache.withLock({ $0[cacheKey] }), cached.expires > now {
            if let outcome = try await revalidate(cached, now: now) { return outcome }
        }
        let (outcome, accessTokenID) = try await check(username: username, secret: secret, now: now)
        switch outcome {
        case .authenticated(let user):
            throttle.recordSuccess("user:\(username)")
            cache.withLock { cache in
                if cache.count > 10_000 { cache = cache.filter { $0.value.expires > now } }
                cache[cacheKey] = CachedSuccess(userID: user.id, accessTokenID: accessTokenID, expires: now.addingTimeInterval(cacheLifetime))
            }
        case .rejected:
            throttle.recordFailure(throttleKeys, now: now)
            logger.notice("login failed", metadata: ["user": "\(username)", "client": "\(clientAddress ?? "-")"])
        case .suspended, .throttled:
            break
        }
        return outcome
    }

    /// Drops every cached success (after a password change, say).
    public func forgetCachedLogins() {
        cache.withLock { $0.removeAll() }
    }

    /// A cached success, confirmed against the current state of user and token; nil
    /// when it no longer holds (then the full check runs).
    private func revalidate(_ cached: CachedSuccess, now: Date) async throws -> Outcome? {
        guard let user = try await users.user(id: cached.userID) else { return nil }
        guard user.status == .active else { return .suspended("account \(user.username) is suspended") }
        if let tokenID = cached.accessTokenID {
            guard let token = try await users.accessToken(id: tokenID), token.isUsable(at: now) else { return nil }
        }
        return .authenticated(user)
    }

    /// The full check: an access token by its hash, otherwise the password with Argon2.
    /// Returns the outcome and, for an access token, its id (so a cached success can
    /// notice a revocation).
    private func check(username: String, secret: String, now: Date) async throws -> (Outcome, Int64?) {
        guard !secret.isEmpty, secret.utf8.count <= 1024 else { return (.rejected, nil) }
        if SecretToken.looksLikeAccessToken(secret) {
            guard let (token, user) = try await users.accessToken(secretHash: SecretToken.hash(secret)),
                  user.username == username, token.isUsable(at: now)
            else { return (.rejected, nil) }
            guard user.status == .active else { return (.suspended("account \(user.username) is suspended"), nil) }
            try await users.recordAccessTokenUse(id: token.id, now: now)
            return (.authenticated(user), token.id)
        }
        guard let user = try await users.user(named: username) else {
            _ = try await hasher.verify(secret, against: decoyHash)
            return (.rejected, nil)
        }
        switch try await hasher.verify(secret, against: user.passwordHash) {
        case .mismatch:
            return (.rejected, nil)
        case .match(let needsRehash):
            guard user.status == .active else { return (.suspended("account \(user.username) is suspended"), nil) }
            if needsRehash {
                try await users.updatePasswordHash(userID: user.id, passwordHash: try await hasher.hash(secret), now: now)
                logger.info("password hash upgraded", metadata: ["user": "\(username)", "parameters": "\(hasher.parameters)"])
            }
            return (.authenticated(user), nil)
        }
    }
}
