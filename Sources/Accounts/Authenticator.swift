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
/// (an IPv4 address or IPv6 /64), per IPv6 /48 (higher ceiling) and, with a much higher
/// ceiling, per username. Attempts are reserved before they are checked, so concurrent
/// guesses cannot slip past a limit. The per-username ceiling holds only for places the
/// user never logged in from: a place where their password login succeeded within
/// `knownPlaceLifetime` (a client network, or a browser holding the portal's device
/// cookie) is never locked out by guesses from elsewhere, and when a flood fills the
/// password checks' queue, logins from such places use the slots kept for them. A flood
/// against one user therefore locks out the places it comes from only: the user's
/// usual clients, their access tokens (256-bit, not guessable, so never throttled per
/// user) and cached logins keep working.
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
    /// Failures per IPv6 /48, whatever the username and /64.
    let wideClientThrottle: LoginThrottle
    /// Password failures per username from places that never logged in: a ceiling for
    /// guessing spread over many networks, far above what one client reaches.
    let accountThrottle: LoginThrottle
    let now: @Sendable () -> Date
    let cacheLifetime: TimeInterval
    /// How long a place where a password login succeeded stays exempt from the
    /// per-username ceiling.
    let knownPlaceLifetime: TimeInterval
    /// How long a login refused because the password checks are saturated waits before
    /// its 429 (so a client retrying at once cannot spin the server).
    let busyDelay: Duration
    let logger: Logger
    private let cacheKey = SymmetricKey(size: .bits256)
    private let cache = Mutex<[Data: CachedSuccess]>([:])
    /// Answers of `isKnownPlace`, for a minute, and places written lately (so a busy
    /// client is not written on every login).
    let placeAnswers = Mutex<[String: (known: Bool, checked: Date)]>([:])
    /// A valid hash to verify against when the user does not exist, so timing does not tell.
    let decoyHash: String

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
        wideClientThrottle: LoginThrottle = LoginThrottle(maxFailures: 120, window: 900, baseLockout: 30, maxLockout: 900),
        accountThrottle: LoginThrottle = LoginThrottle(maxFailures: 100, window: 3600, baseLockout: 60, maxLockout: 900),
        cacheLifetime: TimeInterval = 60,
        knownPlaceLifetime: TimeInterval = 90 * 86400,
        busyDelay: Duration = .zero,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) throws {
        self.users = users
        self.hasher = hasher
        self.throttle = throttle
        self.clientThrottle = clientThrottle
        self.wideClientThrottle = wideClientThrottle
        self.accountThrottle = accountThrottle
        self.cacheLifetime = cacheLifetime
        self.knownPlaceLifetime = knownPlaceLifetime
        self.busyDelay = busyDelay
        self.logger = logger
        self.now = now
        self.decoyHash = try Argon2PasswordHasher.encode(password: Array("decoy".utf8), salt: Array(repeating: 7, count: 16), parameters: hasher.parameters)
    }

    /// Checks credentials. `clientAddress` keys the throttles: pass the client's IPv4
    /// address or IPv6 /64 (its /48 is derived), so one client cannot spread its
    /// attempts over many keys. `device` is the portal's device cookie, if the browser
    /// sent one: a browser that signed in before is a known place wherever it is.
    public func authenticate(username: String, secret: String, clientAddress: String?, device: String? = nil) async throws -> Outcome {
        let now = now()
        let client = ClientKeys(network: clientAddress)
        guard User.isAcceptableLogin(username), !secret.isEmpty, secret.utf8.count <= 1024 else {
            // No such user can exist: no lookup, no hash, counted against the client only.
            if let wait = reserve(client, now: now) { return .throttled(retryAfter: wait) }
            settle(client, failed: true)
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
        var accountKeys = isAccessToken ? [] : ["user:\(username)"]
        let places = isAccessToken ? [] : Self.places(clientAddress: clientAddress, device: device)
        if let wait = reserve(client, now: now) { return .throttled(retryAfter: wait) }
        if let wait = throttle.reserve(userKeys, now: now) {
            settle(client, failed: false)
            return .throttled(retryAfter: wait)
        }
        var isKnown = false
        if let wait = accountThrottle.reserve(accountKeys, now: now) {
            // Locked for places that never logged in; not for one where this user's password worked before.
            do {
                isKnown = try await isKnownPlace(username: username, places: places, now: now)
            } catch {
                settle(client, failed: false)
                throttle.settle(userKeys, failed: false, now: now)
                throw error
            }
            guard isKnown else {
                settle(client, failed: false)
                throttle.settle(userKeys, failed: false, now: now)
                return .throttled(retryAfter: wait)
            }
            accountKeys = []
        }
        func settleAll(failed: Bool) {
            let settled = self.now()
            settle(client, failed: failed, at: settled)
            throttle.settle(userKeys, failed: failed, clearing: userKeys, now: settled)
            accountThrottle.settle(accountKeys, failed: failed, now: settled)
        }
        var result: CheckResult
        do {
            result = try await check(username: username, secret: secret, now: now, client: PasswordCheckClient(network: clientAddress, isPriority: isKnown))
        } catch let busy as PasswordHashingBusy {
            // A flood fills the queue: a login from a known place may use the slots kept for them.
            var retried: CheckResult?
            do {
                if !isKnown, !places.isEmpty, try await isKnownPlace(username: username, places: places, now: now) {
                    retried = try await check(username: username, secret: secret, now: now, client: PasswordCheckClient(network: clientAddress, isPriority: true))
                }
            } catch is PasswordHashingBusy {
                retried = nil
            } catch {
                settleAll(failed: false)
                throw error
            }
            guard let retried else {
                settleAll(failed: false)
                logger.warning("password checks queued to the limit; asking the client to retry", metadata: ["client": "\(clientAddress ?? "-")"])
                if busyDelay > .zero { try? await Task.sleep(for: busyDelay) }
                return .throttled(retryAfter: busy.retryAfter)
            }
            result = retried
        } catch {
            settleAll(failed: false)
            throw error
        }
        switch result.outcome {
        case .authenticated(let user, let credential):
            settleAll(failed: false)
            cache.withLock { cache in
                if cache.count > 10_000 { cache = cache.filter { $0.value.expires > now } }
                if cache.count > 10_000 { cache.removeAll() }
                cache[cacheKey] = CachedSuccess(userID: user.id, credential: credential, passwordHash: result.passwordHash, expires: now.addingTimeInterval(cacheLifetime))
            }
            if case .password = credential { await remember(places, of: user, now: now) }
        case .rejected:
            settleAll(failed: true)
            // Only an existing user's name is logged: an unknown one may be a password typed in the wrong field.
            logger.notice("login failed", metadata: [
                "user": "\(result.userExists ? username : "(no such user)")", "client": "\(clientAddress ?? "-")",
            ])
        case .suspended, .throttled:
            settleAll(failed: false)
        }
        return result.outcome
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

    // MARK: - Client keys

    /// The throttle keys of one client: its network, and its IPv6 /48 when it has one.
    struct ClientKeys {
        let network: [String]
        let wide: [String]

        init(network: String?) {
            self.network = ["client:\(network ?? "-")"]
            self.wide = network.flatMap(ClientNetwork.wideKey).map { ["client48:\($0)"] } ?? []
        }
    }

    private func reserve(_ client: ClientKeys, now: Date) -> Int? {
        if let wait = clientThrottle.reserve(client.network, now: now) { return wait }
        if let wait = wideClientThrottle.reserve(client.wide, now: now) {
            clientThrottle.settle(client.network, failed: false, now: now)
            return wait
        }
        return nil
    }

    private func settle(_ client: ClientKeys, failed: Bool, at time: Date? = nil) {
        let time = time ?? now()
        clientThrottle.settle(client.network, failed: failed, now: time)
        wideClientThrottle.settle(client.wide, failed: failed, now: time)
    }
}
