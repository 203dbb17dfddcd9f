#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOPosix
import OCI

/// Content-addressed blob storage on local disk: `blobs/<algorithm>/<xx>/<hex>` under
/// the data directory, written through `tmp/` and published with an atomic `rename(2)`
/// only after the digest was verified.
///
/// A valid `Digest` is pure lowercase hex, so every path built here stays inside the
/// data directory.
public struct FileSystemBlobStore: Sendable {
    /// The data directory.
    public let root: String
    public let pools: BlobIOPools
    /// Keeps downloads from filling the disk.
    public let space: DiskSpaceGuard

    /// Uses `root` (created if missing) and runs file I/O on `pools`; downloads stop
    /// writing when less than `reserve` bytes would stay free.
    public init(root: String, reserve: Int64 = 0, pools: BlobIOPools = .shared) throws {
        self.root = root
        self.pools = pools
        self.space = DiskSpaceGuard(path: root, reserve: reserve)
        try Self.makeDirectory(Self.temporaryDirectory(root))
        try Self.makeDirectory("\(root)/blobs")
    }

    /// Where a committed blob lives.
    public func path(for digest: Digest) -> String {
        "\(root)/blobs/\(digest.algorithm.rawValue)/\(digest.hex.prefix(2))/\(digest.hex)"
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
        let path = "\(Self.temporaryDirectory(root))/\(digest.hex).\(UInt64.random(in: 0...UInt64.max)).partial"
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
        try Self.removeFiles(in: Self.temporaryDirectory(root))
    }

    static func temporaryDirectory(_ root: String) -> String { "\(root)/tmp" }

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
