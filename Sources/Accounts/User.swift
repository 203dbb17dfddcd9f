import Foundation

/// Whether a subscriber may pull.
public enum UserStatus: String, Sendable, Codable, CaseIterable {
    case active
    case suspended
}

/// What a user may do on the web portal: manage their own account, or also operate
/// the service (the operator view).
public enum UserRole: String, Sendable, Codable, CaseIterable {
    case subscriber
    case admin
}

/// A subscriber account.
public struct User: Sendable, Equatable, Codable {
    public var id: Int64
    public var username: String
    public var email: String?
    /// Argon2id PHC string; never leaves the server.
    public var passwordHash: String
    public var status: UserStatus
    /// Subscribers see their own account; admins also the operator view.
    public var role: UserRole
    public var createdAt: Date
    public var updatedAt: Date
    /// Counts password changes: bearer tokens and refresh tokens minted with an older
    /// password carry an older epoch and stop working.
    public var passwordEpoch: Int

    /// Creates a user value.
    public init(
        id: Int64, username: String, email: String?, passwordHash: String, status: UserStatus, role: UserRole = .subscriber,
        createdAt: Date, updatedAt: Date, passwordEpoch: Int = 0
    ) {
        self.id = id
        self.username = username
        self.email = email
        self.passwordHash = passwordHash
        self.status = status
        self.role = role
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.passwordEpoch = passwordEpoch
    }

    /// Usernames: 2–32 characters, lowercase letters, digits, `-` and `_`, starting
    /// with a letter (they appear in URLs, logs and reports).
    public static func validate(username: String) throws(AccountsError) {
        guard username.range(of: "^[a-z][a-z0-9_-]{1,31}$", options: .regularExpression) != nil else {
            throw .invalidUsername("invalid username \"\(username.prefix(40))\": use 2-32 lowercase letters, digits, - or _, starting with a letter")
        }
    }

    /// Whether `username` may be looked up at all: at most 255 bytes and no control
    /// characters. Anything else is refused before it reaches the database, the password
    /// hasher, the throttle tables or the logs.
    public static func isAcceptableLogin(_ username: String) -> Bool {
        !username.isEmpty && username.utf8.count <= 255 && !username.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// A plausible email address (one `@`, a dot in the domain, no spaces).
    public static func validate(email: String) throws(AccountsError) {
        guard email.count <= 254, email.range(of: "^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", options: .regularExpression) != nil else {
            throw .invalidEmail("invalid email address \"\(email.prefix(60))\"")
        }
    }

    /// At least 10 characters, not all the same, not the username.
    public static func validate(password: String, username: String) throws(AccountsError) {
        if password.isEmpty { throw .weakPassword("password is empty") }
        if password.count < 10 { throw .weakPassword("password is too short: use at least 10 characters") }
        if Set(password).count < 4 || password.lowercased().contains(username.lowercased()) {
            throw .weakPassword("password is too weak: avoid repeated characters and the username")
        }
        if password.utf8.count > 1024 { throw .weakPassword("password is longer than 1024 bytes") }
    }
}

/// A personal access token's metadata (the secret itself is shown once and stored hashed).
public struct AccessToken: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var name: String
    public var createdAt: Date
    public var expiresAt: Date?
    public var lastUsedAt: Date?
    public var revokedAt: Date?

    /// Whether the token may be used at `now`.
    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// A per-user mirror host key's metadata (the key itself is shown once and stored hashed).
public struct MirrorKey: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var createdAt: Date
    public var lastUsedAt: Date?
    public var revokedAt: Date?
    /// When the key stops working; nil never (keys made before expiries existed, or by the operator).
    public var expiresAt: Date?
    /// The client network the key was last used from.
    public var lastUsedAddress: String?

    /// Creates a mirror key value.
    public init(
        id: Int64, userID: Int64, createdAt: Date, lastUsedAt: Date? = nil, revokedAt: Date? = nil, expiresAt: Date? = nil, lastUsedAddress: String? = nil
    ) {
        self.id = id
        self.userID = userID
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
        self.lastUsedAddress = lastUsedAddress
    }

    /// Whether the key may be used at `now`.
    public func isUsable(at now: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { $0 > now } ?? true)
    }
}

/// An OAuth2 refresh token's metadata: docker's stored identity token from one
/// `docker login`. It is not rotated (docker keeps using the one it stored), so its use
/// is recorded instead: an operator can see where and when each one was last used and
/// revoke it.
public struct RefreshToken: Sendable, Equatable, Codable {
    public var id: Int64
    public var userID: Int64
    public var clientID: String
    public var createdAt: Date
    /// Slides forward on every use, but never past `createdAt` plus the absolute lifetime.
    public var expiresAt: Date
    public var revokedAt: Date?
    public var lastUsedAt: Date?
    /// The client network it was last used from.
    public var lastUsedAddress: String?
    public var useCount: Int64
    /// The user's password epoch when it was issued; a password change ends it.
    public var passwordEpoch: Int
    /// The personal access token it was minted with (nil: the password): revoking or
    /// expiring that token ends this login too.
    public var accessTokenID: Int64?

    /// Creates a refresh token value.
    public init(
        id: Int64, userID: Int64, clientID: String, createdAt: Date, expiresAt: Date, revokedAt: Date? = nil,
        lastUsedAt: Date? = nil, lastUsedAddress: String? = nil, useCount: Int64 = 0, passwordEpoch: Int = 0, accessTokenID: Int64? = nil
    ) {
        self.accessTokenID = accessTokenID
        self.id = id
        self.userID = userID
        self.clientID = clientID
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.revokedAt = revokedAt
        self.lastUsedAt = lastUsedAt
        self.lastUsedAddress = lastUsedAddress
        self.useCount = useCount
        self.passwordEpoch = passwordEpoch
    }

    /// Whether it may be redeemed at `now` by a user at `passwordEpoch`.
    public func isUsable(at now: Date, passwordEpoch current: Int) -> Bool {
        revokedAt == nil && expiresAt > now && passwordEpoch == current
    }
}
