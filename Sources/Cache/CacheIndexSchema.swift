import GRDB

/// The cache index's tables, created and upgraded in order by GRDB's migrator.
///
/// `entry` is clustered by (kind, key) for lookups and indexed by last access for
/// eviction; `total` holds bytes and counts per kind, kept exact by triggers, so reading
/// the cache's size is O(1) however many files it holds; `meta` says whether the last
/// process closed the index cleanly.
enum CacheIndexSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("1-entries") { db in
            try db.execute(sql: """
                CREATE TABLE entry (
                    kind INTEGER NOT NULL,
                    key BLOB NOT NULL,
                    size INTEGER NOT NULL,
                    last_access INTEGER NOT NULL,
                    PRIMARY KEY (kind, key)
                ) WITHOUT ROWID;
                CREATE INDEX entry_by_access ON entry(last_access, kind, key);
                CREATE TABLE total (kind INTEGER PRIMARY KEY, bytes INTEGER NOT NULL, count INTEGER NOT NULL);
                INSERT INTO total(kind, bytes, count) VALUES (0, 0, 0), (1, 0, 0), (2, 0, 0);
                CREATE TRIGGER entry_added AFTER INSERT ON entry BEGIN
                    UPDATE total SET bytes = bytes + NEW.size, count = count + 1 WHERE kind = NEW.kind;
                END;
                CREATE TRIGGER entry_removed AFTER DELETE ON entry BEGIN
                    UPDATE total SET bytes = bytes - OLD.size, count = count - 1 WHERE kind = OLD.kind;
                END;
                CREATE TRIGGER entry_resized AFTER UPDATE OF size ON entry BEGIN
                    UPDATE total SET bytes = bytes - OLD.size + NEW.size WHERE kind = NEW.kind;
                END;
                CREATE TABLE meta (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
                """)
        }
        return migrator
    }
}
