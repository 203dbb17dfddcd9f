#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI
import Synchronization

/// A manifest as stored: its media type and exact bytes (digests depend on every byte).
public struct StoredManifest: Sendable, Equatable {
    public let mediaType: String
    public let digest: Digest
    public let bytes: [UInt8]

    /// Creates a manifest value; `digest` must be the digest of `bytes`.
    public init(mediaType: String, digest: Digest, bytes: [UInt8]) {
        self.mediaType = mediaType
        self.digest = digest
        self.bytes = bytes
    }
}

/// What a tag pointed to when Ferry last asked the upstream.
public struct TagRecord: Sendable, Codable, Equatable {
    public var digest: Digest
    public var mediaType: String
    /// When the upstream last confirmed this digest for the tag.
    public var validatedAt: Date

    /// Creates a record.
    public init(digest: Digest, mediaType: String, validatedAt: Date) {
        self.digest = digest
        self.mediaType = mediaType
        self.validatedAt = validatedAt
    }
}

/// Manifests by digest and tag records per upstream and repository, on local disk under
/// the data directory, with a bounded in-memory copy of recently used manifests so hot
/// tags never touch the disk. Both count against the cache budget: every store and read
/// is reported to the `CacheInventory`, and the evictor removes them like blobs.
///
/// Layout: `manifests/<alg>/<xx>/<hex>` holds the media type, a newline and the exact
/// bytes; `tags/<upstream>/<repository>/@tags/<tag>` holds a `TagRecord` as JSON. `@`
/// cannot occur in a repository name, so tags never collide with nested repositories.
/// Every file is written to `tmp/`, fsynced and renamed into place; a manifest read
/// from disk is checked against its digest (a torn file is dropped, never served).
public final class FileSystemManifestStore: Sendable {
    /// The data directory.
    /// Where the files live.
    public let layout: CacheLayout
    /// Told about every manifest and tag stored or read; nil keeps them out of the budget.
    public let inventory: CacheInventory?
    private let memory = Mutex(MemoryCache())
    static let memoryLimit = 32 << 20
    static let memoryTagLimit = 100_000

    private struct MemoryCache {
        var manifests: [Digest: StoredManifest] = [:]
        var tags: [String: TagRecord] = [:]
        var bytes = 0
    }

    /// Uses `layout`, creating the directories it needs.
    public init(layout: CacheLayout, inventory: CacheInventory? = nil) throws {
        self.layout = layout
        self.inventory = inventory
        try FileSystemBlobStore.makeDirectory(layout.manifests)
        try FileSystemBlobStore.makeDirectory(layout.tags)
        try FileSystemBlobStore.makeDirectory(layout.temporary)
    }

    /// A store in the data directory `root`.
    public convenience init(root: String, inventory: CacheInventory? = nil) throws {
        try self.init(layout: CacheLayout(root: root), inventory: inventory)
    }

    /// The manifest with `digest`, or nil when not cached (or its file does not hash
    /// to `digest`, e.g. torn by a crash: then the file is removed).
    public func manifest(_ digest: Digest) -> StoredManifest? {
        if let cached = memory.withLock({ $0.manifests[digest] }) {
            inventory?.touch(.manifest(digest))
            return cached
        }
        let path = manifestPath(digest)
        guard let data = FileManager.default.contents(atPath: path),
              let newline = data.firstIndex(of: 0x0a)
        else { return nil }
        let bytes = Array(data[(newline + 1)...])
        guard DigestHasher.digest(of: bytes, algorithm: digest.algorithm) == digest else {
            unlink(path)
            return nil
        }
        let manifest = StoredManifest(mediaType: String(decoding: data[data.startIndex..<newline], as: UTF8.self), digest: digest, bytes: bytes)
        remember(manifest)
        inventory?.touch(.manifest(digest))
        return manifest
    }

    /// Stores a verified manifest: in memory at once, then on disk. When the disk write
    /// fails (disk full) the error is thrown, but the manifest is still served from memory.
    public func store(_ manifest: StoredManifest) throws {
        remember(manifest)
        var contents = Data(manifest.mediaType.utf8)
        contents.append(0x0a)
        contents.append(contentsOf: manifest.bytes)
        try writeAtomically(contents, to: manifestPath(manifest.digest))
        inventory?.committed(.manifest(manifest.digest), size: Int64(contents.count))
    }

    /// The record for a tag of a repository of an upstream.
    public func tag(_ tag: String, repository: RepositoryName, upstream: String) -> TagRecord? {
        let key = tagKey(tag, repository: repository, upstream: upstream)
        if let cached = memory.withLock({ $0.tags[key] }) {
            inventory?.touch(.tag(tag, repository: repository, upstream: upstream))
            return cached
        }
        guard let data = FileManager.default.contents(atPath: tagPath(tag, repository: repository, upstream: upstream)),
              let record = try? Self.decoder.decode(TagRecord.self, from: data)
        else { return nil }
        rememberTag(record, key: key)
        inventory?.touch(.tag(tag, repository: repository, upstream: upstream))
        return record
    }

    /// Records what a tag points to: in memory at once, then on disk (a failed write
    /// is thrown, the record still holds in memory).
    public func storeTag(_ tag: String, repository: RepositoryName, upstream: String, record: TagRecord) throws {
        rememberTag(record, key: tagKey(tag, repository: repository, upstream: upstream))
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        let data = try encoder.encode(record)
        try writeAtomically(data, to: tagPath(tag, repository: repository, upstream: upstream))
        inventory?.committed(.tag(tag, repository: repository, upstream: upstream), size: Int64(data.count))
    }

    /// Drops a manifest from the in-memory copy (its file was purged).
    public func forget(_ digest: Digest) {
        memory.withLock { memory in
            if let removed = memory.manifests.removeValue(forKey: digest) { memory.bytes -= removed.bytes.count }
        }
    }

    /// Forgets a tag the upstream no longer has (or that the operator purged).
    public func removeTag(_ tag: String, repository: RepositoryName, upstream: String) {
        unlink(tagPath(tag, repository: repository, upstream: upstream))
        _ = memory.withLock { $0.tags.removeValue(forKey: tagKey(tag, repository: repository, upstream: upstream)) }
        inventory?.forget([.tag(tag, repository: repository, upstream: upstream)])
    }

    /// Drops the in-memory copy of a manifest or tag record the evictor deleted.
    func evicted(_ entry: CacheEntry) {
        if let digest = entry.digest {
            forget(digest)
        } else if let path = entry.tagPath, let marker = path.range(of: "/@tags/") {
            let key = "\(path[..<marker.lowerBound]):\(path[marker.upperBound...])"
            _ = memory.withLock { $0.tags.removeValue(forKey: key) }
        }
    }

    // MARK: - Paths and files

    /// Where a manifest lives on disk.
    public func manifestPath(_ digest: Digest) -> String {
        layout.manifest(digest)
    }

    /// `upstream` is a configured identifier and `tag` a validated tag, so the path stays
    /// inside the data directory.
    func tagPath(_ tag: String, repository: RepositoryName, upstream: String) -> String {
        layout.tag(tag, repository: repository, upstream: upstream)
    }

    private func tagKey(_ tag: String, repository: RepositoryName, upstream: String) -> String {
        "\(upstream)/\(repository.value):\(tag)"
    }

    private static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }

    private func rememberTag(_ record: TagRecord, key: String) {
        memory.withLock { memory in
            if memory.tags.count >= Self.memoryTagLimit { memory.tags.removeAll(keepingCapacity: true) }
            memory.tags[key] = record
        }
    }

    private func remember(_ manifest: StoredManifest) {
        memory.withLock { memory in
            guard memory.manifests[manifest.digest] == nil else { return }
            if memory.bytes + manifest.bytes.count > Self.memoryLimit {
                memory.manifests.removeAll(keepingCapacity: true)
                memory.bytes = 0
            }
            memory.manifests[manifest.digest] = manifest
            memory.bytes += manifest.bytes.count
        }
    }

    /// Writes `data` to a temporary file, fsyncs it and renames it to `path`, so a crash
    /// leaves the old file or the new one, never a torn one.
    private func writeAtomically(_ data: Data, to path: String) throws {
        try FileSystemBlobStore.makeDirectory(String(path[..<path.lastIndex(of: "/")!]))
        let temporary = layout.temporaryWrite()
        try Self.writeDurably(data, to: temporary)
        guard rename(temporary, path) == 0 else {
            let code = errno
            unlink(temporary)
            throw FileSystemError(operation: "rename", path: path, code: code)
        }
    }

    /// Creates `path` with `data` and fsyncs it; removes it again on any failure.
    static func writeDurably(_ data: Data, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create", path: path, code: errno) }
        defer { close(descriptor) }
        let failure: FileSystemError? = data.withUnsafeBytes { bytes in
            var written = 0
            while written < bytes.count {
                let result = write(descriptor, bytes.baseAddress! + written, bytes.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return FileSystemError(operation: "write", path: path, code: errno)
                }
                written += result
            }
            return fsync(descriptor) == 0 ? nil : FileSystemError(operation: "fsync", path: path, code: errno)
        }
        if let failure {
            unlink(path)
            throw failure
        }
    }
}
