import Crypto
import Foundation
import Logging
import Synchronization

/// Checks a username and a password or personal access token, as sent with
/// `docker login`, to the token service or to the portal.
///
/// Argon2 costs ~25 ms, so a successful check is remembered for `cacheLifetime`,
/// keyed by an HMAC of username and secret under a per-process random key (the
/// password itself is never kept). A cached success still re-reads the user, the
/// token and the stored hash, so a suspension, a revocation or a password change takes
/// effect at once.
///
/// Failed attempts are throttled per username at a client network, per client network
/// and (with a much higher ceiling) per username. Attempts are reserved before they are
/// checked, so concurrent guesses cannot slip past a limit. A flood against one user
/// from one place therefore locks out that place only: the user's other clients, their
/// access tokens (256-bit, not guessable, so never throttled per user) and cached
/// logins keep working.
public final class Authenticator: Sendable {
    /// The result of a credential check.
    public enum Outcome: Sendable, Equatable {
        /// Who logged in, and with what (tokens minted from it carry it).
        case authenticated(User, via: Credential)
        /// Wrong username, password or token (deliberately not saying which).
        case rejected
        case suspended(String)
        /// Too many failures, or too many checks queued; try again after this many seconds.
        case throttled(retryAfter: Int)
    }

    let users: any UserRepository
    let hasher: Argon2PasswordHasher
    /// Failures per username at one client network: the lockout a guesser meets.
    let throttle: LoginThrottle
    /// Failures per client network, whatever the username.
    let clientThrottle: LoginThrottle
    /// Password failures per username from every network: a ceiling for guessing
    /// spread over many networks, far above what one client reaches.
    let accountThrottle: LoginThrottle
    let now: @Sendable () -> Date
    let cacheLifetime: TimeInterval
    let logger: Logger
    private let cacheKey = SymmetricKey(size: .bits256)
    private let cache = Mutex<[Data: CachedSuccess]>([:])
    /// A valid hash to verify against when the user does not exist, so timing does not tell.
    private let decoyHash: String

    private struct CachedSuccess {
        let userID: Int64
        let credential: Credential
        /// The stored hash at the time (password logins): a password change ends the entry.
        let passwordHash: String?
        let expires: Date
    }

    /// Creates an authenticator.
    public init(
        users: any UserRepository,
        hasher: Argon2PasswordHasher,
        throttle: LoginThrottle = LoginThrottle(),
        clientThrottle: LoginThrottle = LoginThrottle(maxFailures: 30, window: 900, baseLockout: 30, maxLockout: 900),
        accountThrottle: LoginThrottle = LoginThrottle(maxFailures: 100, window: 3600, baseLockout: 60, maxLockout: 900),
        cacheLifetime: TimeInterval = 60,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.users = users
        self.hasher = hasher
        self.throttle = throttle
        self.clientThrottle = clientThrottle
        self.accountThrottle = accountThrottle
        self.cacheLifetime = cacheLifetime
        self.logger = logger
        self.now = now
        self.decoyHash = try Argon2PasswordHasher.encode(password: Array("decoy".utf8), salt: Array(repeating: 7, count: 16), parameters: hasher.parameters)
    }

    /// Checks credentials. `clientAddress` keys the throttles: pass the client's IPv4
    /// address or IPv6 /64, so one client cannot spread its attempts over many keys.
    public func authenticate(username: String, secret: String, clientAddress: String?) async throws -> Outcome {
        let now = now()
        let clientKeys = ["client:\(clientAddress ?? "-")"]
        guard User.isAcceptableLogin(username), !secret.isEmpty, secret.utf8.count <= 1024 else {
            // No such user can exist: no lookup, no hash, counted against the client only.
            if let wait = clientThrottle.reserve(clientKeys, now: now) { return .throttled(retryAfter: wait) }
            clientThrottle.settle(clientKeys, failed: true, now: now)
            logger.notice("login refused: malformed credentials", metadata: ["client": "\(clientAddress ?? "-")", "username-bytes": "\(username.utf8.count)"])
            return .rejected
        }
        let cacheKey = Data(HMAC<SHA256>.authenticationCode(for: Data("\(username)\u{0}\(secret)".utf8), using: self.cacheKey))
        if let cached = cache.withLock({ $0[cacheKey] }), cached.expires > now {
            if let outcome = try await revalidate(cached, now: now) { return outcome }
        }
        // Access tokens cannot be guessed, so they are throttled per client only: a
        // flood of bad passwords for a user never locks out that user's tokens.
        let isAccessToken = SecretToken.looksLikeAccessToken(secret)
        let userKeys = isAccessToken ? [] : ["user-client:\(username)|\(clientAddress ?? "-")"]
        let accountKeys = isAccessToken ? [] : ["user:\(username)"]
        if let wait = clientThrottle.reserve(clientKeys, now: now) { return .throttled(retryAfter: wait) }
        if let wait = throttle.reserve(userKeys, now: now) {
            clientThrottle.settle(clientKeys, failed: false, now: now)
            return .throttled(retryAfter: wait)
        }
        if let wait = accountThrottle.reserve(accountKeys, now: now) {
            clientThrottle.settle(clientKeys, failed: false, now: now)
            throttle.settle(userKeys, failed: false, now: now)
            return .throttled(retryAfter: wait)
        }
        func settle(failed: Bool) {
            let settled = self.now()
            clientThrottle.settle(clientKeys, failed: failed, now: settled)
            throttle.settle(userKeys, failed: failed, clearing: userKeys, now: settled)
            accountThrottle.settle(accountKeys, failed: failed, now: settled)
        }
        let outcome: Outcome
        let passwordHash: String?
        do {
            (outcome, passwordHash) = try await check(username: username, secret: secret, now: now)
        } catch is PasswordHashingBusy {
            settle(failed: false)
            logger.warning("password checks queued to the limit; asking the client to retry", metadata: ["client": "\(clientAddress ?? "-")"])
            return .throttled(retryAfter: 1)
        } catch {
            settle(failed: false)
            throw error
        }
        switch outcome {
        case .authenticated(let user, let credential):
            settle(failed: false)
            cache.withLock { cache in
                if cache.count > 10_000 { cache = cache.filter { $0.value.expires > now } }
                if cache.count > 10_000 { cache.removeAll() }
                cache[cacheKey] = CachedSuccess(userID: user.id, credential: credential, passwordHash: passwordHash, expires: now.addingTimeInterval(cacheLifetime))
            }
        case .rejected:
            settle(failed: true)
            logger.notice("login failed", metadata: ["user": "\(username.prefix(64))", "client": "\(clientAddress ?? "-")"])
        case .suspended, .throttled:
            settle(failed: false)
        }
        return outcome
    }

    /// Drops every cached success.
    public func forgetCachedLogins() {
        cache.withLock { $0.removeAll() }
    }

    /// A cached success, confirmed against the current state of user, token and stored
    /// password hash; nil when it no longer holds (then the full check runs).
    private func revalidate(_ cached: CachedSuccess, now: Date) async throws -> Outcome? {
        guard let user = try await users.user(id: cached.userID) else { return nil }
        if let passwordHash = cached.passwordHash, passwordHash != user.passwordHash { return nil }
        guard user.status == .active else { return .suspended("account \(user.username) is suspended") }
        switch cached.credential {
        case .accessToken(let id):
            guard let token = try await users.accessToken(id: id), token.isUsable(at: now) else { return nil }
            return .authenticated(user, via: cached.credential)
        case .password, .refreshToken:
            return .authenticated(user, via: .password(epoch: user.passwordEpoch))
        }
    }

    /// The full check: an access token by its hash, otherwise the password with Argon2.
    /// Returns the outcome and, for a password, the stored hash it matched.
    private func check(username: String, secret: String, now: Date) async throws -> (Outcome, String?) {
        if SecretToken.looksLikeAccessToken(secret) {
            guard let (token, user) = try await users.accessToken(secretHash: SecretToken.hash(secret)),
                  user.username == username, token.isUsable(at: now)
            else { return (.rejected, nil) }
            guard user.status == .active else { return (.suspended("account \(user.username) is suspended"), nil) }
            try await users.recordAccessTokenUse(id: token.id, now: now)
            return (.authenticated(user, via: .accessToken(id: token.id)), nil)
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
            var storedHash = user.passwordHash
            if needsRehash {
                storedHash = try await hasher.hash(secret)
                try await users.updatePasswordHash(userID: user.id, passwordHash: storedHash, now: now)
                logger.info("password hash upgraded", metadata: ["user": "\(username)", "parameters": "\(hasher.parameters)"])
            }
            return (.authenticated(user, via: .password(epoch: user.passwordEpoch)), storedHash)
        }
    }
}
