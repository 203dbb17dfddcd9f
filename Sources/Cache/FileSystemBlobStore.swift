#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOPosix
import OCI

/// Content-addressed blob storage on local disk (see `CacheLayout`), written through
/// `tmp/` and published with an atomic `rename(2)` only after the digest was verified.
/// The cache's first level: downloads fill its temporary files while clients read
/// along, and hits are sent from its files with `sendfile(2)`.
public struct FileSystemBlobStore: Sendable {
    /// Where the files live.
    public let layout: CacheLayout
    public let pools: BlobIOPools
    /// Keeps downloads from filling the disk.
    public let space: DiskSpaceGuard

    /// Uses `layout` (its folders created if missing) and runs file I/O on `pools`;
    /// downloads stop writing when less than `reserve` bytes would stay free.
    public init(layout: CacheLayout, reserve: Int64 = 0, pools: BlobIOPools = .shared) throws {
        self.layout = layout
        self.pools = pools
        self.space = DiskSpaceGuard(path: layout.root, reserve: reserve)
        try Self.makeDirectory(layout.temporary)
        try Self.makeDirectory(layout.blobs)
    }

    /// A store in the data directory `root`.
    public init(root: String, reserve: Int64 = 0, pools: BlobIOPools = .shared) throws {
        try self.init(layout: CacheLayout(root: root), reserve: reserve, pools: pools)
    }

    /// The data directory.
    public var root: String { layout.root }

    /// Where a committed blob lives.
    public func path(for digest: Digest) -> String {
        layout.blob(digest)
    }

    /// Opens a committed blob, or returns nil when it is not cached.
    public func open(_ digest: Digest) throws -> BlobFile? {
        try BlobFile.openForReading(path: path(for: digest), pools: pools)
    }

    /// Whether a committed copy exists.
    public func contains(_ digest: Digest) -> Bool {
        access(path(for: digest), F_OK) == 0
    }

    /// Creates a uniquely named temporary file for filling `digest`.
    func makeTemporaryFile(for digest: Digest) throws -> (file: BlobFile, path: String) {
        let path = layout.temporaryDownload(for: digest)
        return (try BlobFile.create(path: path, pools: pools), path)
    }

    /// Publishes a verified temporary file as the blob `digest` (atomic rename).
    func commit(temporaryPath: String, as digest: Digest) throws {
        let destination = path(for: digest)
        try Self.makeDirectory(String(destination[..<destination.lastIndex(of: "/")!]))
        guard rename(temporaryPath, destination) == 0 else {
            throw FileSystemError(operation: "rename", path: destination, code: errno)
        }
    }

    /// Removes a temporary file that will not be committed.
    func discard(temporaryPath: String) {
        unlink(temporaryPath)
    }

    /// Deletes every leftover temporary file (from a crash); call once at start-up,
    /// before serving. Returns how many were removed.
    @discardableResult
    public func removeTemporaryFiles() throws -> Int {
        try Self.removeFiles(in: layout.temporary)
    }

    static func removeFiles(in directory: String) throws -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names {
            unlink("\(directory)/\(name)")
        }
        return names.count
    }

    /// `mkdir -p`.
    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw FileSystemError(operation: "mkdir", path: path, code: errno == 0 ? EIO : errno)
        }
    }
}
