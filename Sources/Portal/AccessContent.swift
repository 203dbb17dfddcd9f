import Accounts
import Foundation

/// The access page: the subscriber's tokens and mirror keys, and a secret just created
/// (shown once, with the snippets that use it).
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
        let lastUsed: String
        let state: String
        let isActive: Bool
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
    let mirrorKeysEnabled: Bool
    let created: Created?

    init(tokens: [AccessToken], keys: [MirrorKey], mirrorKeysEnabled: Bool, created: Created?, now: Date) {
        self.tokens = tokens.reversed().map { token in
            let state = token.revokedAt != nil ? "revoked" : token.isUsable(at: now) ? "active" : "expired"
            return TokenRow(
                id: token.id, name: token.name, created: Self.format(token.createdAt), expires: token.expiresAt.map(Self.format) ?? "never",
                lastUsed: token.lastUsedAt.map(Self.format) ?? "never", state: state, isActive: state == "active"
            )
        }
        hasTokens = !tokens.isEmpty
        self.keys = keys.reversed().map { key in
            KeyRow(id: key.id, created: Self.format(key.createdAt), lastUsed: key.lastUsedAt.map(Self.format) ?? "never", state: key.revokedAt == nil ? "active" : "revoked", isActive: key.revokedAt == nil)
        }
        hasKeys = !keys.isEmpty
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
