import Foundation
import Synchronization

/// An audit log held in memory, for tests.
public final class InMemoryAuditLog: AuditLog {
    private let entries = Mutex<[AuditEntry]>([])
    private let failing = Atomic<Bool>(false)

    /// Creates an empty log.
    public init() {}

    /// Makes every `record` fail (or succeed again), as a database outage would.
    public func failWrites(_ fail: Bool) {
        failing.store(fail, ordering: .relaxed)
    }

    @discardableResult
    public func record(actor: String, action: String, target: String?, detail: String, at: Date) async throws -> AuditEntry {
        if failing.load(ordering: .relaxed) { throw AccountsError.databaseUnavailable("audit log unavailable") }
        return entries.withLock { entries in
            let entry = AuditEntry(id: Int64(entries.count + 1), at: at, actor: actor, action: action, target: target, detail: detail)
            entries.append(entry)
            return entry
        }
    }

    public func recent(limit: Int) async throws -> [AuditEntry] {
        entries.withLock { Array($0.reversed().prefix(limit)) }
    }
}
