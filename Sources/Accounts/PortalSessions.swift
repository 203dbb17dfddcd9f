import Foundation

/// Starts, resumes and ends web portal sessions.
///
/// A session ends after `idleTimeout` without a request, after `lifetime` however busy
/// it is, when its user signs out, changes password or is suspended or deleted (those
/// delete the user's sessions; a suspended user's leftover session is also refused and
/// deleted here). Last-seen times are written at most every `touchInterval`, so browsing
/// does not write on every page.
public struct PortalSessions: Sendable {
    let users: any UserRepository
    /// How long a session survives without a request.
    public let idleTimeout: TimeInterval
    /// How long a session lives at most.
    public let lifetime: TimeInterval
    let touchInterval: TimeInterval
    let now: @Sendable () -> Date

    /// Creates the session keeper; the defaults are 12 hours idle and 7 days in all.
    public init(
        users: any UserRepository, idleTimeout: TimeInterval = 12 * 3600, lifetime: TimeInterval = 7 * 86400,
        touchInterval: TimeInterval = 60, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.users = users
        self.idleTimeout = idleTimeout
        self.lifetime = lifetime
        self.touchInterval = touchInterval
        self.now = now
    }

    /// Live sessions kept per user: a new sign-in ends the oldest beyond this.
    public static let sessionsPerUser = 20

    /// A new session for `user`: the stored session and the secret id for the cookie
    /// (shown to no one else and stored only hashed). The user's oldest sessions beyond
    /// `sessionsPerUser` end.
    public func start(for user: User, userAgent: String?, clientAddress: String?) async throws -> (PortalSession, secret: String) {
        let secret = Self.makeSecret()
        let now = now()
        let session = try await users.createSession(
            userID: user.id, passwordEpoch: user.passwordEpoch, secretHash: SecretToken.hash(secret), csrfToken: Self.makeSecret(),
            expiresAt: now.addingTimeInterval(lifetime), userAgent: userAgent.map { String($0.prefix(200)) },
            clientAddress: clientAddress, now: now
        )
        try await users.pruneSessions(userID: user.id, keepingNewest: Self.sessionsPerUser)
        return (session, secret)
    }

    /// The live session for a cookie's secret and its active user; nil (and the stale
    /// session deleted) when it expired, idled out, its user is suspended, or the
    /// password changed since it started.
    public func resume(secret: String) async throws -> (PortalSession, User)? {
        guard secret.utf8.count == 43, secret.utf8.allSatisfy(Self.isBase64URL) else { return nil }
        guard let (session, user) = try await users.session(secretHash: SecretToken.hash(secret)) else { return nil }
        let now = now()
        guard session.isValid(at: now, idleTimeout: idleTimeout), user.status == .active, session.passwordEpoch == user.passwordEpoch else {
            try await users.deleteSession(id: session.id)
            return nil
        }
        if now.timeIntervalSince(session.lastSeenAt) >= touchInterval {
            try await users.touchSession(id: session.id, now: now)
        }
        return (session, user)
    }

    /// Ends one session (sign-out).
    public func end(_ session: PortalSession) async throws {
        try await users.deleteSession(id: session.id)
    }

    /// Ends every session of `user` (sign-out everywhere).
    public func endAll(for user: User) async throws {
        try await users.deleteSessions(userID: user.id)
    }

    /// Removes sessions that can no longer be resumed; returns how many.
    public func removeStale() async throws -> Int {
        try await users.deleteStaleSessions(idleTimeout: idleTimeout, now: now())
    }

    /// A random token for a form that is shown before there is a session (sign-in).
    public static func makeFormToken() -> String {
        makeSecret()
    }

    /// 32 random bytes in base64url (43 characters).
    static func makeSecret() -> String {
        Base64URL.encode(SecretToken.randomBytes(32))
    }

    private static func isBase64URL(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
    }
}
