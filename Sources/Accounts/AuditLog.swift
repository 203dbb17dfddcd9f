import Foundation

/// One recorded administrative action: who did what to whom, and when.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var at: Date
    /// The admin (or `ferry-cli`) who acted.
    public var actor: String
    /// A short verb such as `suspend`, `resume`, `payment`, `role`.
    public var action: String
    /// The user acted on, if any.
    public var target: String?
    /// What changed, in a line; never a secret.
    public var detail: String

    /// Creates an entry value.
    public init(id: Int64, at: Date, actor: String, action: String, target: String?, detail: String) {
        self.id = id
        self.at = at
        self.actor = actor
        self.action = action
        self.target = target
        self.detail = detail
    }
}

/// Where administrative actions are recorded: append-only, read newest first.
/// `PostgresAuditLog` is the real one; `InMemoryAuditLog` backs tests.
public protocol AuditLog: Sendable {
    /// Appends an entry and returns it with its id.
    @discardableResult
    func record(actor: String, action: String, target: String?, detail: String, at: Date) async throws -> AuditEntry
    /// The newest `limit` entries, newest first.
    func recent(limit: Int) async throws -> [AuditEntry]
}
