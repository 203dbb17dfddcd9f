#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI

extension CacheInventory {
    /// What a reconciliation changed in the index.
    public struct Reconciliation: Sendable, Equatable {
        /// Files on disk the index did not know (or knew with another size).
        public var added = 0
        /// Index entries whose file was gone.
        public var removed = 0
        /// Files looked at.
        public var files = 0

        /// Creates a result.
        public init(added: Int = 0, removed: Int = 0, files: Int = 0) {
            self.added = added
            self.removed = removed
            self.files = files
        }
    }

    /// Brings the index in line with the directories: indexes files it does not know
    /// (with their modification time as last access) and drops entries whose file is
    /// gone. Works one shard directory (1/256 of the blobs) at a time and waits `pause`
    /// between shards, so it never competes hard with serving; then the index
    /// is ready (eviction may start). An old `access-times` file (before the index) is
    /// read once into a new index and removed.
    @discardableResult
    public func reconcile(pause: Duration = .zero) async throws -> Reconciliation {
        let started = ContinuousClock.now
        var result = Reconciliation()
        for kind in [CacheEntry.Kind.blob, .manifest] {
            for algorithm in Digest.Algorithm.allCases {
                for shard in UInt8.min...UInt8.max {
                    try await reconcile(kind, algorithm: algorithm, shard: shard, into: &result)
                    if pause > .zero { try await Task.sleep(for: pause) } else { await Task.yield() }
                }
            }
        }
        try await reconcileTags(into: &result)
        if index.condition == .empty { try await importAccessTimes() }
        markReconciled()
        logger.notice("cache index reconciled", metadata: [
            "files": "\(result.files)", "added": "\(result.added)", "removed": "\(result.removed)",
            "ms": "\(started.duration(to: .now).milliseconds)",
        ])
        return result
    }

    private func reconcile(_ kind: CacheEntry.Kind, algorithm: Digest.Algorithm, shard: UInt8, into result: inout Reconciliation) async throws {
        let prefix = String(format: "%02x", shard)
        let directory = layout.shard(kind, algorithm: algorithm, prefix: prefix)
        let indexed = try await index.rows(of: kind, keyPrefix: [CacheEntry.algorithmByte(algorithm), shard])
        var found: [CacheEntry: FileStatus] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] {
            guard name.hasPrefix(prefix), let digest = try? Digest(parsing: "\(algorithm.rawValue):\(name)"),
                  let status = FileStatus(path: "\(directory)/\(name)")
            else { continue }
            found[kind == .blob ? .blob(digest) : .manifest(digest)] = status
        }
        try await apply(found: found, indexed: indexed, into: &result)
    }

    private func reconcileTags(into result: inout Reconciliation) async throws {
        let base = layout.tags
        var found: [CacheEntry: FileStatus] = [:]
        let walker = FileManager.default.enumerator(atPath: base)
        while let path = walker?.nextObject() as? String {
            guard path.contains("/@tags/"), let status = FileStatus(path: "\(base)/\(path)") else { continue }
            found[CacheEntry(kind: .tag, key: Array(path.utf8))] = status
        }
        try await apply(found: found, indexed: try await index.rows(of: .tag, keyPrefix: []), into: &result)
    }

    private func apply(found: [CacheEntry: FileStatus], indexed: [CacheEntry: Int64], into result: inout Reconciliation) async throws {
        result.files += found.count
        let missing = found.compactMap { entry, status in
            indexed[entry] == status.size ? nil : CacheIndex.IndexedFile(entry: entry, size: status.size, lastAccess: status.modified * 1000)
        }
        // Looked at again now: a file committed since the listing is not "gone".
        let gone = indexed.keys.filter { found[$0] == nil && FileStatus(path: layout.path(of: $0)) == nil }
        for start in stride(from: 0, to: missing.count, by: Self.batchSize) {
            try await index.upsertAsync(Array(missing[start..<min(start + Self.batchSize, missing.count)]))
        }
        if !gone.isEmpty { try await index.removeAsync(gone) }
        result.added += missing.count
        result.removed += gone.count
    }

    /// Reads `access-times` (`sha256:… SECONDS` per line, written by Ferry before the
    /// index existed) line by line into the index, then removes it.
    private func importAccessTimes() async throws {
        let path = layout.legacyAccessTimes
        guard let file = fopen(path, "r") else { return }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        var batch: [(entry: CacheEntry, at: Int64)] = []
        while getline(&line, &capacity, file) > 0, let line {
            let parts = String(cString: line).split(separator: " ")
            if parts.count == 2, let digest = try? Digest(parsing: parts[0]), let seconds = Int64(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)) {
                batch.append((.blob(digest), seconds * 1000))
            }
            if batch.count == Self.batchSize {
                _ = try await index.touch(batch)
                batch.removeAll(keepingCapacity: true)
            }
        }
        if !batch.isEmpty { _ = try await index.touch(batch) }
        unlink(path)
    }
}
