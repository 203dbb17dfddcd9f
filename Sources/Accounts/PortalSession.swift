import Foundation

/// A signed-in web portal session. The browser holds a random session id in a cookie;
/// the server keeps only its SHA-256, so a leaked database does not sign anyone in.
public struct PortalSession: Sendable, Equatable {
    public var id: Int64
    public var userID: Int64
    /// The per-session token every form must echo (CSRF protection).
    public var csrfToken: String
    public var createdAt: Date
    public var lastSeenAt: Date
    /// The session ends at this time however active it is (absolute lifetime).
    public var expiresAt: Date
    /// The browser's `User-Agent`, shortened, for the user's list of sessions.
    public var userAgent: String?
    /// Where the session was started from.
    public var clientAddress: String?
    /// The user's password epoch at sign-in (a password change ends the session).
    public var passwordEpoch: Int

    /// Creates a session value.
    public init(
        id: Int64, userID: Int64, csrfToken: String, createdAt: Date, lastSeenAt: Date, expiresAt: Date, userAgent: String?, clientAddress: String?,
        passwordEpoch: Int = 0
    ) {
        self.id = id
        self.userID = userID
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.expiresAt = expiresAt
        self.userAgent = userAgent
        self.clientAddress = clientAddress
        self.passwordEpoch = passwordEpoch
    }

    /// Whether the session is still valid at `now`: before its absolute expiry and
    /// used within `idleTimeout`.
    public func isValid(at now: Date, idleTimeout: TimeInterval) -> Bool {
        now < expiresAt && now.timeIntervalSince(lastSeenAt) < idleTimeout
    }
}
