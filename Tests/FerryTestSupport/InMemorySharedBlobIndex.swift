import Cache
import Foundation
import OCI
import Synchronization

extension Duration {
    /// The duration in seconds.
    fileprivate var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

/// A `SharedBlobIndex` in memory, with a clock for access times.
public final class InMemorySharedBlobIndex: SharedBlobIndex, Sendable {
    private let entries = Mutex<[Digest: (size: Int64, lastAccess: Date)]>([:])
    let now: @Sendable () -> Date

    /// An empty index.
    public init(now: @escaping @Sendable () -> Date = Date.init) {
        self.now = now
    }

    public func size(of digest: Digest) async throws -> Int64? {
        entries.withLock { $0[digest]?.size }
    }

    public func recordStored(_ digest: Digest, size: Int64) async throws {
        let now = now()
        entries.withLock { $0[digest] = (size, now) }
    }

    public func recordAccess(_ digests: [Digest]) async throws {
        let now = now()
        entries.withLock { entries in
            for digest in digests { entries[digest]?.lastAccess = now }
        }
    }

    public func forget(_ digest: Digest) async throws {
        _ = entries.withLock { $0.removeValue(forKey: digest) }
    }

    public func forget(_ digest: Digest, unusedFor: Duration) async throws -> Bool {
        let cutoff = now().addingTimeInterval(-unusedFor.seconds)
        return entries.withLock { entries in
            guard let entry = entries[digest], entry.lastAccess < cutoff else { return false }
            entries[digest] = nil
            return true
        }
    }

    public func totals() async throws -> (blobs: Int, bytes: Int64) {
        entries.withLock { ($0.count, $0.values.reduce(0) { $0 + $1.size }) }
    }

    public func leastRecentlyUsed(unusedFor: Duration, limit: Int) async throws -> [(digest: Digest, size: Int64)] {
        let before = now().addingTimeInterval(-unusedFor.seconds)
        return entries.withLock { entries in
            entries.filter { $0.value.lastAccess < before }.sorted { $0.value.lastAccess < $1.value.lastAccess }.prefix(limit).map { ($0.key, $0.value.size) }
        }
    }
}
