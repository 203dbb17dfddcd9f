import Cache
import Foundation
import Logging
import OCI
import PostgresNIO

/// The shared store's index in PostgreSQL (`shared_blobs`), and the lease that lets one
/// server of the fleet evict it at a time (`singleton_leases`).
struct PostgresSharedBlobIndex: SharedBlobIndex {
    let client: PostgresClient
    let logger: Logger

    func size(of digest: Digest) async throws -> Int64? {
        let rows = try await client.query("SELECT size FROM shared_blobs WHERE digest = \(digest.description)", logger: logger)
        for try await size in rows.decode(Int64.self) { return size }
        return nil
    }

    func recordStored(_ digest: Digest, size: Int64) async throws {
        try await client.query(
            """
            INSERT INTO shared_blobs (digest, size) VALUES (\(digest.description), \(size))
            ON CONFLICT (digest) DO UPDATE SET last_access = now()
            """,
            logger: logger
        )
    }

    func recordAccess(_ digests: [Digest]) async throws {
        try await client.query(
            "UPDATE shared_blobs SET last_access = now() WHERE digest = ANY(\(digests.map(\.description)))", logger: logger
        )
    }

    func forget(_ digest: Digest) async throws {
        try await client.query("DELETE FROM shared_blobs WHERE digest = \(digest.description)", logger: logger)
    }

    func forget(_ digest: Digest, unusedFor: Duration) async throws -> Bool {
        let rows = try await client.query(
            """
            DELETE FROM shared_blobs WHERE digest = \(digest.description)
            AND last_access < now() - make_interval(secs => \(unusedFor.wholeSeconds)) RETURNING digest
            """,
            logger: logger
        )
        for try await _ in rows.decode(String.self) { return true }
        return false
    }

    func totals() async throws -> (blobs: Int, bytes: Int64) {
        let rows = try await client.query("SELECT count(*)::BIGINT, COALESCE(sum(size), 0)::BIGINT FROM shared_blobs", logger: logger)
        for try await (count, bytes) in rows.decode((Int64, Int64).self) { return (Int(count), bytes) }
        return (0, 0)
    }

    func leastRecentlyUsed(unusedFor: Duration, limit: Int) async throws -> [(digest: Digest, size: Int64)] {
        let rows = try await client.query(
            """
            SELECT digest, size FROM shared_blobs WHERE last_access < now() - make_interval(secs => \(unusedFor.wholeSeconds))
            ORDER BY last_access LIMIT \(limit)
            """,
            logger: logger
        )
        var found: [(Digest, Int64)] = []
        for try await (text, size) in rows.decode((String, Int64).self) {
            if let digest = try? Digest(parsing: text) { found.append((digest, size)) }
        }
        return found
    }

    /// Takes or renews the lease `name` for `holder` until `seconds` from now; false when
    /// another holder's lease has not expired.
    func holdLease(_ name: String, holder: String, seconds: Int) async throws -> Bool {
        let rows = try await client.query(
            """
            INSERT INTO singleton_leases (name, holder, expires_at) VALUES (\(name), \(holder), now() + make_interval(secs => \(seconds)))
            ON CONFLICT (name) DO UPDATE SET holder = EXCLUDED.holder, expires_at = EXCLUDED.expires_at
            WHERE singleton_leases.holder = EXCLUDED.holder OR singleton_leases.expires_at < now()
            RETURNING holder
            """,
            logger: logger
        )
        for try await _ in rows.decode(String.self) { return true }
        return false
    }
}

extension Duration {
    /// Whole seconds, for SQL intervals.
    fileprivate var wholeSeconds: Double { Double(components.seconds) }
}
