import Crypto
import Foundation
import Logging
import PostgresNIO

/// Applies `migrations/NNNN_name.sql` in order, in one transaction under a PostgreSQL
/// advisory lock (so replicas starting together cannot race), recording each applied
/// version with the SHA-256 of its file. An applied file that has since changed is an
/// error, never silently re-run.
public struct SchemaMigrator: Sendable {
    /// One migration file.
    public struct Migration: Equatable, Sendable {
        let version: Int
        let name: String
        let sql: String
        var checksum: String { SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined() }
    }

    /// An arbitrary constant naming Ferry's migration lock.
    static let advisoryLockKey: Int64 = 0x4645_5252_594D_4947

    let client: PostgresClient
    let migrations: [Migration]
    let logger: Logger

    /// A migrator applying `migrations` (see `load(directory:)`).
    public init(client: PostgresClient, migrations: [Migration], logger: Logger) {
        self.client = client
        self.migrations = migrations
        self.logger = logger
    }

    /// Reads the migration files of `directory`.
    public static func load(directory: String) throws(StartupError) -> [Migration] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw StartupError("migrations directory \(directory) is missing (set migrations-dir)")
        }
        var migrations: [Migration] = []
        for name in names.sorted() where name.hasSuffix(".sql") {
            guard let underscore = name.firstIndex(of: "_"), let version = Int(name[..<underscore]) else {
                throw StartupError("migration \(name): file names must look like 0001_description.sql")
            }
            guard let sql = try? String(contentsOfFile: "\(directory)/\(name)", encoding: .utf8) else {
                throw StartupError("migration \(name): cannot read it as UTF-8")
            }
            if migrations.contains(where: { $0.version == version }) {
                throw StartupError("migration \(name): version \(version) is used twice")
            }
            migrations.append(Migration(version: version, name: String(name.dropLast(4)), sql: sql))
        }
        return migrations.sorted { $0.version < $1.version }
    }

    /// Applies pending migrations; returns the names applied (empty when up to date).
    public func migrate() async throws -> [String] {
        try await client.withTransaction(logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(Self.advisoryLockKey))", logger: logger)
            try await connection.query(
                """
                CREATE TABLE IF NOT EXISTS ferry_schema_migrations (
                    version    INTEGER PRIMARY KEY,
                    name       TEXT NOT NULL,
                    checksum   TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """,
                logger: logger
            )
            var applied: [Int: (name: String, checksum: String)] = [:]
            let rows = try await connection.query("SELECT version, name, checksum FROM ferry_schema_migrations", logger: logger)
            for try await (version, name, checksum) in rows.decode((Int, String, String).self) {
                applied[version] = (name, checksum)
            }
            var newlyApplied: [String] = []
            for migration in migrations {
                if let record = applied[migration.version] {
                    guard record.checksum == migration.checksum else {
                        throw StartupError("migration \(migration.name) was changed after it was applied (checksum differs); add a new migration instead")
                    }
                    continue
                }
                for statement in SQLScript.statements(in: migration.sql) {
                    try await connection.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO ferry_schema_migrations (version, name, checksum) VALUES (\(migration.version), \(migration.name), \(migration.checksum))",
                    logger: logger
                )
                newlyApplied.append(migration.name)
            }
            return newlyApplied
        }
    }
}
