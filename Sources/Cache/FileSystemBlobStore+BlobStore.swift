#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
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
}
