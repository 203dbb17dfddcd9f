import Foundation
import GRDB
import Synchronization

/// The cache's bookkeeping on disk: one SQLite row per cached file (kind, key, size,
/// last access in milliseconds), ordered by last access for eviction, with per-kind
/// totals kept by triggers in the same transactions. Nothing here is on the request
/// path: cache hits only note the access in memory (`CacheInventory`), and this index
/// is written in small batches in the background.
///
/// The files on disk are the truth and this is an index of them: serving never asks it,
/// a crash can leave it a little behind (reconciliation brings it back), and a lost or
/// corrupt index file is rebuilt from the directories.
final class CacheIndex: Sendable {
    /// Bytes and files per kind.
    struct Totals: Sendable, Equatable {
        var bytes: [Int64] = Array(repeating: 0, count: CacheEntry.Kind.allCases.count)
        var counts: [Int] = Array(repeating: 0, count: CacheEntry.Kind.allCases.count)

        var allBytes: Int64 { bytes.reduce(0, +) }
    }

    /// An indexed file.
    struct IndexedFile: Sendable, Equatable {
        let entry: CacheEntry
        let size: Int64
        let lastAccess: Int64
    }

    /// How the index was found when it was opened.
    enum Condition: Sendable, Equatable {
        /// Closed cleanly by the last process: it matches the disk.
        case clean
        /// The last process stopped without closing it (a crash, `kill -9`): mostly right,
        /// but a few recent changes may be missing.
        case unclean
        /// New, or rebuilt after it was missing or unreadable: it knows nothing yet.
        case empty
    }

    private let queue: DatabaseQueue
    private let latestTotals: Mutex<Totals>
    let path: String
    let condition: Condition

    private init(queue: DatabaseQueue, path: String, condition: Condition, totals: Totals) {
        self.queue = queue
        self.path = path
        self.condition = condition
        self.latestTotals = Mutex(totals)
    }

    /// Opens (or creates) the index at `path`; an unreadable file is moved aside to
    /// `path.corrupt` and a new one started.
    static func open(path: String) throws -> CacheIndex {
        let existed = FileManager.default.fileExists(atPath: path)
        do {
            return try open(path: path, existed: existed)
        } catch let error as DatabaseError where [.SQLITE_CORRUPT, .SQLITE_NOTADB].contains(error.resultCode) {
            for suffix in ["", "-wal", "-shm"] {
                unlink(path + ".corrupt" + suffix)
                rename(path + suffix, path + ".corrupt" + suffix)
            }
            return try open(path: path, existed: false)
        }
    }

    private static func open(path: String, existed: Bool) throws -> CacheIndex {
        var configuration = Configuration()
        configuration.journalMode = .wal
        configuration.busyMode = .timeout(10)
        configuration.label = "ferry-cache-index"
        configuration.prepareDatabase { db in
            // A crash loses at most the last transactions, never the file; a small page
            // cache keeps memory flat however many files are cached.
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -4096")
        }
        let queue = try DatabaseQueue(path: path, configuration: configuration)
        try CacheIndexSchema.migrator.migrate(queue)
        let (wasClean, totals) = try queue.write { db -> (Bool, Totals) in
            let wasClean = try Int.fetchOne(db, sql: "SELECT value FROM meta WHERE name = 'clean'") == 1
            try db.execute(sql: "INSERT INTO meta(name, value) VALUES('clean', 0) ON CONFLICT(name) DO UPDATE SET value = 0")
            return (wasClean, try readTotals(db))
        }
        let condition: Condition = !existed ? .empty : wasClean ? .clean : .unclean
        return CacheIndex(queue: queue, path: path, condition: condition, totals: totals)
    }

    /// The totals after the last write.
    var totals: Totals { latestTotals.withLock { $0 } }

    /// Marks the index as matching the disk (or not) for the next process to see.
    func close(clean: Bool) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE meta SET value = ? WHERE name = 'clean'", arguments: [clean ? 1 : 0])
        }
        try queue.close()
    }

    // MARK: - Writes

    /// Records files (new or rewritten); their last access never moves back.
    func upsert(_ rows: [IndexedFile]) throws {
        try write { db in try Self.upsert(rows, db) }
    }

    /// `upsert` without blocking the calling thread.
    func upsertAsync(_ rows: [IndexedFile]) async throws {
        try await writeAsync { db in try Self.upsert(rows, db) }
    }

    /// Forgets files; returns those that were indexed.
    @discardableResult
    func remove(_ entries: [CacheEntry]) throws -> [IndexedFile] {
        try write { db in
            try entries.compactMap { entry in
                try GRDB.Row.fetchOne(db, sql: "DELETE FROM entry WHERE kind = ? AND key = ? RETURNING kind, key, size, last_access", arguments: [entry.kind.rawValue, Data(entry.key)])
                    .map(Self.row)
            }
        }
    }

    /// `remove` without blocking the calling thread, in batches.
    func removeAsync(_ entries: [CacheEntry]) async throws {
        for start in stride(from: 0, to: entries.count, by: CacheInventory.batchSize) {
            let batch = Array(entries[start..<min(start + CacheInventory.batchSize, entries.count)])
            try await writeAsync { db in
                let statement = try db.cachedStatement(sql: "DELETE FROM entry WHERE kind = ? AND key = ?")
                for entry in batch { try statement.execute(arguments: [entry.kind.rawValue, Data(entry.key)]) }
            }
        }
    }

    /// Forgets the rows whose last access is still the one given (so a file read or
    /// rewritten meanwhile stays); returns those removed.
    func removeUnchanged(_ rows: [IndexedFile]) async throws -> [IndexedFile] {
        try await writeAsync { db in
            let statement = try db.cachedStatement(sql: "DELETE FROM entry WHERE kind = ? AND key = ? AND last_access = ?")
            return try rows.filter { row in
                try statement.execute(arguments: [row.entry.kind.rawValue, Data(row.entry.key), row.lastAccess])
                return db.changesCount > 0
            }
        }
    }

    /// Moves the last access of indexed entries forward; returns the entries the index
    /// does not know.
    func touch(_ accesses: [(entry: CacheEntry, at: Int64)]) async throws -> [CacheEntry] {
        try await writeAsync { db in
            let statement = try db.cachedStatement(sql: "UPDATE entry SET last_access = max(last_access, ?) WHERE kind = ? AND key = ?")
            var unknown: [CacheEntry] = []
            for access in accesses {
                try statement.execute(arguments: [access.at, access.entry.kind.rawValue, Data(access.entry.key)])
                if db.changesCount == 0 { unknown.append(access.entry) }
            }
            return unknown
        }
    }

    // MARK: - Reads

    /// Up to `limit` rows in order of last access, starting after `cursor`.
    func oldest(after cursor: IndexedFile?, limit: Int) async throws -> [IndexedFile] {
        try await queue.read { db in
            if let cursor {
                return try GRDB.Row.fetchAll(
                    db,
                    sql: "SELECT kind, key, size, last_access FROM entry WHERE (last_access, kind, key) > (?, ?, ?) ORDER BY last_access, kind, key LIMIT ?",
                    arguments: [cursor.lastAccess, cursor.entry.kind.rawValue, Data(cursor.entry.key), limit]
                ).map(Self.row)
            }
            return try GRDB.Row.fetchAll(db, sql: "SELECT kind, key, size, last_access FROM entry ORDER BY last_access, kind, key LIMIT ?", arguments: [limit]).map(Self.row)
        }
    }

    /// The least recent access of any entry of `kind`, in milliseconds.
    func oldestAccess(of kind: CacheEntry.Kind) throws -> Int64? {
        try queue.read { db in
            try Int64.fetchOne(db, sql: "SELECT min(last_access) FROM entry WHERE kind = ?", arguments: [kind.rawValue])
        }
    }

    /// The indexed entries of `kind` whose keys start with `prefix` (reconciliation).
    func rows(of kind: CacheEntry.Kind, keyPrefix prefix: [UInt8]) async throws -> [CacheEntry: Int64] {
        try await queue.read { db in
            var rows: [CacheEntry: Int64] = [:]
            let cursor = try GRDB.Row.fetchCursor(db, sql: "SELECT key, size FROM entry WHERE kind = ? AND key >= ? ORDER BY key", arguments: [kind.rawValue, Data(prefix)])
            while let row = try cursor.next() {
                let key = [UInt8](row[0] as Data)
                guard key.starts(with: prefix) else { break }
                let size: Int64 = row[1]
                rows[CacheEntry(kind: kind, key: key)] = size
            }
            return rows
        }
    }

    // MARK: - Helpers

    private func write<T>(_ updates: (Database) throws -> T) throws -> T {
        try queue.writeWithoutTransaction { db in try commit(updates, db) }
    }

    private func writeAsync<T: Sendable>(_ updates: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await queue.writeWithoutTransaction { db in try self.commit(updates, db) }
    }

    /// Runs `updates` in one transaction, then publishes the totals it left.
    private func commit<T>(_ updates: (Database) throws -> T, _ db: Database) throws -> T {
        var result: T?
        try db.inTransaction {
            result = try updates(db)
            return .commit
        }
        try publishTotals(db)
        return result!
    }

    /// Runs on the index's serial queue after each commit, so the totals published are
    /// always the latest.
    private func publishTotals(_ db: Database) throws {
        let totals = try Self.readTotals(db)
        latestTotals.withLock { $0 = totals }
    }

    private static func readTotals(_ db: Database) throws -> Totals {
        var totals = Totals()
        for row in try GRDB.Row.fetchAll(db, sql: "SELECT kind, bytes, count FROM total") {
            let kind: Int = row[0]
            guard totals.bytes.indices.contains(kind) else { continue }
            totals.bytes[kind] = row[1]
            totals.counts[kind] = row[2]
        }
        return totals
    }

    private static func upsert(_ rows: [IndexedFile], _ db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO entry(kind, key, size, last_access) VALUES (?, ?, ?, ?)
            ON CONFLICT(kind, key) DO UPDATE SET size = excluded.size, last_access = max(last_access, excluded.last_access)
            """)
        for row in rows {
            try statement.execute(arguments: [row.entry.kind.rawValue, Data(row.entry.key), row.size, row.lastAccess])
        }
    }

    private static func row(_ row: GRDB.Row) -> IndexedFile {
        IndexedFile(entry: CacheEntry(kind: CacheEntry.Kind(rawValue: row[0]) ?? .blob, key: [UInt8](row[1] as Data)), size: row[2], lastAccess: row[3])
    }
}
