import Foundation
import OCI

/// Which blobs the shared store holds (PostgreSQL in production), kept apart from the
/// store itself: nothing depends on listing the store, and a blob is recorded only once
/// its upload is complete and verified, so a recorded blob is always whole.
public protocol SharedBlobIndex: Sendable {
    /// The size of a stored blob; nil when the shared store does not hold it.
    func size(of digest: Digest) async throws -> Int64?

    /// Records a blob whose upload completed.
    func recordStored(_ digest: Digest, size: Int64) async throws

    /// Marks blobs as used now (for least-recently-used eviction).
    func recordAccess(_ digests: [Digest]) async throws

    /// Forgets a blob (before it is deleted from the store).
    func forget(_ digest: Digest) async throws

    /// Forgets a blob unless it was stored or used within `unusedFor`; false when it was
    /// (or is not recorded). Eviction deletes only what this returned true for.
    func forget(_ digest: Digest, unusedFor: Duration) async throws -> Bool

    /// How many blobs are recorded, and their bytes.
    func totals() async throws -> (blobs: Int, bytes: Int64)

    /// Blobs neither stored nor used within `unusedFor`, least recently used first, at
    /// most `limit`. The index's own clock decides (one clock for the whole fleet).
    func leastRecentlyUsed(unusedFor: Duration, limit: Int) async throws -> [(digest: Digest, size: Int64)]
}
