#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOCore
import OCI

/// The local disk as a `BlobStore`: a blob is a file under `blobs/`, published by
/// renaming the verified file into place.
extension FileSystemBlobStore: BlobStore {
    public func size(of digest: Digest) async throws -> Int64? {
        try open(digest)?.size()
    }

    public func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobChunks? {
        guard let file = try open(digest) else { return nil }
        let size = try file.size()
        return BlobChunks(BlobBody(source: .file(file, size: size), start: range?.lowerBound ?? 0, end: range?.upperBound, lease: nil))
    }

    public func publish(_ digest: Digest, verifiedFile path: String, size: Int64) async throws {
        try commit(temporaryPath: path, as: digest)
    }

    public func remove(_ digest: Digest) async throws -> Bool {
        unlink(path(for: digest)) == 0
    }

    public func startUpload(_ digest: Digest) async throws -> any BlobUpload {
        FileCopyUpload(store: self, digest: digest)
    }
}

/// Storing a blob on a disk from another's file: nothing happens until `complete`, which
/// copies the verified file through a temporary file and publishes it.
struct FileCopyUpload: BlobUpload {
    let store: FileSystemBlobStore
    let digest: Digest
    var partSize: Int64 { 64 << 20 }

    func append(fileAt path: String, offset: Int64, length: Int64) async throws {}

    func complete(fileAt path: String, from offset: Int64, size: Int64) async throws {
        let copy = store.layout.temporaryDownload(for: digest)
        do {
            try FileManager.default.copyItem(atPath: path, toPath: copy)
            try store.commit(temporaryPath: copy, as: digest)
        } catch {
            store.discard(temporaryPath: copy)
            throw error
        }
    }

    func abort() async {}
}
