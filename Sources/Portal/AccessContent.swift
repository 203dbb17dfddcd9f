import Accounts
import Foundation

/// The access page: the subscriber's tokens, mirror keys and docker logins, and a
/// secret just created (shown once, with the snippets that use it).
struct AccessContent: Sendable {
    struct TokenRow: Sendable {
        let id: Int64
        let name: String
        let created: String
        let expires: String
        let lastUsed: String
        let state: String
        let isActive: Bool
    }

    struct KeyRow: Sendable {
        let id: Int64
        let created: String
        let expires: String
        let lastUsed: String
        let lastUsedFrom: String
        let state: String
        let isActive: Bool
    }

    /// A docker login (refresh token): where it is used from and what made it.
    struct LoginRow: Sendable {
        let id: Int64
        let client: String
        let madeWith: String
        let created: String
        let lastUsed: String
        let lastUsedFrom: String
        let uses: Int64
        let expires: String
    }

    /// The lifetimes the create forms offer, the default selected.
    struct LifetimeOption: Sendable {
        let value: String
        let label: String
        let selected: Bool
    }

    /// A secret shown this once.
    struct Created: Sendable {
        let kind: String
        let name: String
        let secret: String
        let snippets: [SetupSnippets.Snippet]
    }

    let tokens: [TokenRow]
    let hasTokens: Bool
    let keys: [KeyRow]
    let hasKeys: Bool
    let logins: [LoginRow]
    let hasLogins: Bool
    let lifetimes: [LifetimeOption]
    let mirrorKeysEnabled: Bool
    let created: Created?

    init(tokens: [AccessToken], keys: [MirrorKey], logins: [RefreshToken], mirrorKeysEnabled: Bool, created: Created?, now: Date) {
        self.tokens = tokens.reversed().map { token in
            let state = token.revokedAt != nil ? "revoked" : token.isUsable(at: now) ? "active" : "expired"
            return TokenRow(
                id: token.id, name: token.name, created: Self.format(token.createdAt), expires: token.expiresAt.map(Self.format) ?? "never",
                lastUsed: token.lastUsedAt.map(Self.format) ?? "never", state: state, isActive: state == "active"
            )
        }
        hasTokens = !tokens.isEmpty
        self.keys = keys.reversed().map { key in
            let state = key.revokedAt != nil ? "revoked" : key.isUsable(at: now) ? "active" : "expired"
            return KeyRow(
                id: key.id, created: Self.format(key.createdAt), expires: key.expiresAt.map(Self.format) ?? "never",
                lastUsed: key.lastUsedAt.map(Self.format) ?? "never", lastUsedFrom: key.lastUsedAddress ?? "-", state: state, isActive: state == "active"
            )
        }
        hasKeys = !keys.isEmpty
        let names = Dictionary(tokens.map { ($0.id, $0.name) }, uniquingKeysWith: { first, _ in first })
        self.logins = logins.filter { $0.revokedAt == nil && $0.expiresAt > now }.map { login in
            LoginRow(
                id: login.id, client: login.clientID, madeWith: login.accessTokenID.map { "token \(names[$0] ?? "#\($0)")" } ?? "password",
                created: Self.format(login.createdAt), lastUsed: login.lastUsedAt.map(Self.format) ?? "never", lastUsedFrom: login.lastUsedAddress ?? "-",
                uses: login.useCount, expires: Self.format(login.expiresAt)
            )
        }
        hasLogins = !self.logins.isEmpty
        lifetimes = Portal.credentialLifetimes.map { LifetimeOption(value: $0.value, label: $0.label, selected: $0.value == Portal.defaultCredentialLifetime) }
        self.mirrorKeysEnabled = mirrorKeysEnabled
        self.created = created
    }

    /// `2026-05-03 14:02 UTC`.
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
    }
}
