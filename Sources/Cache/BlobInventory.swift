#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI
import Synchronization

/// What the cache holds: every committed blob's size and last access time (tracked by
/// Ferry, not the filesystem's atime), and which blobs are being read right now.
/// Access times are persisted to `access-times` in the data directory, so eviction
/// order survives restarts.
public final class BlobInventory: Sendable {
    struct Entry: Sendable {
        var size: Int64
        var lastAccess: Date
        var readers: Int
    }

    let store: FileSystemBlobStore
    let now: @Sendable () -> Date
    private let entries = Mutex<[Digest: Entry]>([:])
    private let dirty = Mutex(false)

    /// Creates an empty inventory; call `load()` before use.
    public init(store: FileSystemBlobStore, now: @escaping @Sendable () -> Date = Date.init) {
        self.store = store
        self.now = now
    }

    var accessTimesPath: String { "\(store.root)/access-times" }

    /// Scans the blob directories and merges the persisted access times (a blob with
    /// none gets its file's modification time).
    public func load() throws {
        var persisted: [String: Date] = [:]
        if let text = try? String(contentsOfFile: accessTimesPath, encoding: .utf8) {
            for line in text.split(separator: "\n") {
                let parts = line.split(separator: " ")
                if parts.count == 2, let seconds = TimeInterval(parts[1]) { persisted[String(parts[0])] = Date(timeIntervalSince1970: seconds) }
            }
        }
        var found: [Digest: Entry] = [:]
        let fileManager = FileManager.default
        for algorithm in Digest.Algorithm.allCases {
            let base = "\(store.root)/blobs/\(algorithm.rawValue)"
            for prefix in (try? fileManager.contentsOfDirectory(atPath: base)) ?? [] {
                for name in (try? fileManager.contentsOfDirectory(atPath: "\(base)/\(prefix)")) ?? [] {
                    guard let digest = try? Digest(parsing: "\(algorithm.rawValue):\(name)") else { continue }
                    var info = stat()
                    guard stat("\(base)/\(prefix)/\(name)", &info) == 0 else { continue }
                    let modified = Date(timeIntervalSince1970: TimeInterval(info.st_mtim.tv_sec))
                    found[digest] = Entry(size: Int64(info.st_size), lastAccess: persisted[digest.description] ?? modified, readers: 0)
                }
            }
        }
        entries.withLock { entries in
            for (digest, entry) in found {
                entries[digest] = Entry(size: entry.size, lastAccess: max(entry.lastAccess, entries[digest]?.lastAccess ?? .distantPast), readers: entries[digest]?.readers ?? 0)
            }
        }
    }

    /// Records a newly committed blob.
    public func committed(_ digest: Digest, size: Int64) {
        let now = now()
        entries.withLock { entries in
            let readers = entries[digest]?.readers ?? 0
            entries[digest] = Entry(size: size, lastAccess: now, readers: readers)
        }
        dirty.withLock { $0 = true }
    }

    /// Marks a blob as read now and protects it from eviction until the lease is released.
    public func lease(_ digest: Digest) -> ReadLease {
        let now = now()
        entries.withLock { entries in
            if var entry = entries[digest] {
                entry.lastAccess = now
                entry.readers += 1
                entries[digest] = entry
            } else {
                entries[digest] = Entry(size: 0, lastAccess: now, readers: 1)
            }
        }
        dirty.withLock { $0 = true }
        return ReadLease(inventory: self, digest: digest)
    }

    func release(_ digest: Digest) {
        entries.withLock { entries in
            guard var entry = entries[digest] else { return }
            entry.readers -= 1
            entries[digest] = entry
        }
    }

    /// Total bytes of cached blobs.
    public var totalBytes: Int64 { entries.withLock { $0.values.reduce(0) { $0 + $1.size } } }
    /// Number of cached blobs.
    public var count: Int { entries.withLock { $0.values.filter { $0.size > 0 }.count } }
    /// The least recent access of any cached blob.
    public var oldestAccess: Date? { entries.withLock { $0.values.filter { $0.size > 0 }.map(\.lastAccess).min() } }

    /// Blobs to delete, least recently used first, until `bytes` would be freed; blobs
    /// being read are skipped.
    public func evictionCandidates(toFree bytes: Int64) -> [(digest: Digest, size: Int64)] {
        let ordered = entries.withLock { entries in
            entries.filter { $0.value.readers <= 0 && $0.value.size > 0 }.sorted { $0.value.lastAccess < $1.value.lastAccess }
        }
        var freed: Int64 = 0
        var chosen: [(Digest, Int64)] = []
        for (digest, entry) in ordered where freed < bytes {
            chosen.append((digest, entry.size))
            freed += entry.size
        }
        return chosen
    }

    /// Deletes a blob unless someone started reading it meanwhile; returns whether it went.
    @discardableResult
    public func evict(_ digest: Digest) -> Bool {
        entries.withLock { entries in
            guard let entry = entries[digest], entry.readers <= 0 else { return false }
            unlink(store.path(for: digest))
            entries[digest] = nil
            return true
        }
    }

    /// Forgets a blob deleted by someone else (`ferry cache purge`).
    public func forget(_ digest: Digest) {
        _ = entries.withLock { $0.removeValue(forKey: digest) }
    }

    /// Writes the access times if they changed since the last write (atomic rename).
    public func persist() throws {
        guard dirty.withLock({ state in defer { state = false }; return state }) else { return }
        let lines = entries.withLock { entries in
            entries.filter { $0.value.size > 0 }.map { "\($0.key) \(Int64($0.value.lastAccess.timeIntervalSince1970))" }
        }
        let temporary = "\(FileSystemBlobStore.temporaryDirectory(store.root))/access-times.\(UInt64.random(in: 0...UInt64.max))"
        do {
            try (lines.joined(separator: "\n") + "\n").write(toFile: temporary, atomically: false, encoding: .utf8)
        } catch {
            dirty.withLock { $0 = true }
            throw FileSystemError(operation: "write", path: temporary, code: EIO)
        }
        guard rename(temporary, accessTimesPath) == 0 else {
            let code = errno
            unlink(temporary)
            dirty.withLock { $0 = true }
            throw FileSystemError(operation: "rename", path: accessTimesPath, code: code)
        }
    }
}

/// Keeps a blob from being evicted while a response reads it; released when the
/// response body (and with it the lease) goes away.
public final class ReadLease: Sendable {
    let inventory: BlobInventory
    let digest: Digest

    init(inventory: BlobInventory, digest: Digest) {
        self.inventory = inventory
        self.digest = digest
    }

    deinit {
        inventory.release(digest)
    }
}
