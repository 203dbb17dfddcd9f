import Foundation
import PostgresNIO

extension PostgresBillingStore {
    /// Deletes the ids of usage batches flushed more than `age` seconds ago (by the
    /// database's clock, which also stamped them), using `usage_batches_flushed_at`.
    public func forgetBatches(olderThan age: TimeInterval) async throws {
        try await run {
            _ = try await client.query("DELETE FROM usage_batches WHERE flushed_at < now() - make_interval(secs => \(age))", logger: logger)
        }
    }
}
