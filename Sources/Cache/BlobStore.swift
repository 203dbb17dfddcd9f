import NIOCore
import OCI
import Synchronization

/// Where verified blobs are kept, by digest. The local disk (`FileSystemBlobStore`) is
/// one backing; an object store shared by several servers is another. Every conformer
/// passes `BlobStoreConformance` (in the test support target).
///
/// The rules every backing keeps:
/// - a blob becomes visible only through `publish`, whole, after its caller verified
///   the digest; a reader never sees part of a blob or bytes of another digest;
/// - reads stream in chunks, never the whole blob in memory;
/// - publishing a digest that is already there, or removing one that is not, is not
///   an error.
public protocol BlobStore: Sendable {
    /// The size of the stored blob `digest`, or nil when it is not stored.
    func size(of digest: Digest) async throws -> Int64?

    /// The stored bytes of `digest` in `range` (inclusive; nil for all of them), or nil
    /// when it is not stored. The caller has checked the range against `size(of:)`.
    func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobChunks?

    /// Makes the file at `path`, whose `size` bytes were verified to hash to `digest`,
    /// the stored blob. The store may take the file (a rename): the caller must not use
    /// `path` afterwards.
    func publish(_ digest: Digest, verifiedFile path: String, size: Int64) async throws

    /// Removes the stored blob; false when it was not stored.
    func remove(_ digest: Digest) async throws -> Bool

    /// Starts storing `digest` from a file still being written: the caller hands over
    /// its bytes in order as they are written (`BlobUpload.append`), and the blob becomes
    /// visible only at `complete`, after the caller verified the whole file.
    func startUpload(_ digest: Digest) async throws -> any BlobUpload
}

/// A blob being stored while it downloads (an S3 multipart upload, for instance).
public protocol BlobUpload: Sendable {
    /// The size the store wants the parts handed to `append` to have (the last one is
    /// handed to `complete`, whatever its size).
    var partSize: Int64 { get }

    /// Stores bytes `offset..<offset + length` of the file at `path`, the next part.
    func append(fileAt path: String, offset: Int64, length: Int64) async throws

    /// Stores the rest of the file from `offset` (fewer than `partSize` bytes) and makes
    /// the blob, `size` bytes verified by the caller, visible.
    func complete(fileAt path: String, from offset: Int64, size: Int64) async throws

    /// Drops what was stored; the blob never becomes visible.
    func abort() async
}

/// A stored blob's bytes, pulled chunk by chunk (so a slow reader slows the store, and
/// no more than one chunk is held). Single consumer: iterate it once.
public struct BlobChunks: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    private let nextChunk: @Sendable () async throws -> ByteBuffer?

    /// Chunks produced by `next`, which returns nil at the end.
    public init(next: @escaping @Sendable () async throws -> ByteBuffer?) {
        self.nextChunk = next
    }

    /// The chunks of an async sequence (its iterator is moved into the closure).
    public init<Base: AsyncSequence>(_ base: Base) where Base.Element == ByteBuffer, Base: Sendable {
        let box = IteratorBox(base.makeAsyncIterator())
        self.nextChunk = { try await box.next() }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(nextChunk: nextChunk)
    }

    /// Pulls the next chunk.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let nextChunk: @Sendable () async throws -> ByteBuffer?

        public mutating func next() async throws -> ByteBuffer? {
            try await nextChunk()
        }
    }
}

/// Holds an iterator for a single consumer. `@unchecked Sendable`: `BlobChunks` is
/// iterated by one task at a time, which is the contract of an `AsyncIterator`; the
/// iterator is never touched concurrently.
private final class IteratorBox<Iterator: AsyncIteratorProtocol>: @unchecked Sendable where Iterator.Element == ByteBuffer {
    private var iterator: Iterator

    init(_ iterator: Iterator) {
        self.iterator = iterator
    }

    func next() async throws -> ByteBuffer? {
        try await iterator.next()
    }
}
