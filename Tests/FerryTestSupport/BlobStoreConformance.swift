import Cache
import Foundation
import NIOCore
import OCI
import Synchronization
import Testing

/// The behaviour every `BlobStore` must have (see the protocol's rules); run against
/// each implementation: the local disk, memory, and an object store.
public enum BlobStoreConformance {
    /// Runs every check; `scratch` is a directory for the verified files handed to
    /// `publish` (the store may take them).
    public static func run(_ store: any BlobStore, scratch: String) async throws {
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        let bytes = seededBytes(count: 3 << 20 + 12_345, seed: 91)  // several chunks, not a multiple of any
        let digest = sha256Digest(bytes)

        // Absent: no size, no bytes, nothing removed.
        #expect(try await store.size(of: digest) == nil)
        #expect(try await store.read(digest, range: nil) == nil)
        #expect(try await store.remove(digest) == false)

        // Published: its size, all its bytes, and any range of them.
        try await store.publish(digest, verifiedFile: try write(bytes, in: scratch), size: Int64(bytes.count))
        #expect(try await store.size(of: digest) == Int64(bytes.count))
        #expect(try await collect(store, digest, range: nil) == bytes)
        for range: ClosedRange<Int64> in [0...0, 0...99, 1_000_000...2_500_000, Int64(bytes.count - 1)...Int64(bytes.count - 1), 0...Int64(bytes.count - 1)] {
            #expect(try await collect(store, digest, range: range) == Array(bytes[Int(range.lowerBound)...Int(range.upperBound)]), "range \(range)")
        }

        // Publishing it again changes nothing; another digest is another blob.
        try await store.publish(digest, verifiedFile: try write(bytes, in: scratch), size: Int64(bytes.count))
        #expect(try await store.size(of: digest) == Int64(bytes.count))
        let small = Array("a small blob".utf8)
        let smallDigest = sha256Digest(small)
        try await store.publish(smallDigest, verifiedFile: try write(small, in: scratch), size: Int64(small.count))
        #expect(try await collect(store, smallDigest, range: nil) == small)
        #expect(try await collect(store, digest, range: 0...3) == Array(bytes[0...3]))

        // An empty blob is a blob.
        let emptyDigest = sha256Digest([UInt8]())
        try await store.publish(emptyDigest, verifiedFile: try write([], in: scratch), size: 0)
        #expect(try await store.size(of: emptyDigest) == 0)
        #expect(try await collect(store, emptyDigest, range: nil) == [])

        // An upload is invisible until complete, and an aborted one never appears.
        let streamed = seededBytes(count: 11 << 20 + 7, seed: 92)
        let streamedDigest = sha256Digest(streamed)
        let file = try write(streamed, in: scratch)
        let upload = try await store.startUpload(streamedDigest)
        var offset: Int64 = 0
        while Int64(streamed.count) - offset >= upload.partSize {
            try await upload.append(fileAt: file, offset: offset, length: upload.partSize)
            offset += upload.partSize
            #expect(try await store.size(of: streamedDigest) == nil)
        }
        try await upload.complete(fileAt: file, from: offset, size: Int64(streamed.count))
        #expect(try await collect(store, streamedDigest, range: nil) == streamed)
        let abandoned = seededBytes(count: 6 << 20, seed: 93)
        let abandonedDigest = sha256Digest(abandoned)
        let abandonedFile = try write(abandoned, in: scratch)
        let aborted = try await store.startUpload(abandonedDigest)
        try await aborted.append(fileAt: abandonedFile, offset: 0, length: min(aborted.partSize, Int64(abandoned.count)))
        await aborted.abort()
        #expect(try await store.size(of: abandonedDigest) == nil)

        // Removed: gone, and only it.
        #expect(try await store.remove(digest) == true)
        #expect(try await store.size(of: digest) == nil)
        #expect(try await store.read(digest, range: nil) == nil)
        #expect(try await store.remove(digest) == false)
        #expect(try await store.size(of: smallDigest) == Int64(small.count))
    }

    /// Every byte of `digest` in `range`, checking that no chunk is empty.
    static func collect(_ store: any BlobStore, _ digest: Digest, range: ClosedRange<Int64>?) async throws -> [UInt8] {
        let chunks = try #require(try await store.read(digest, range: range))
        var bytes: [UInt8] = []
        for try await chunk in chunks {
            #expect(chunk.readableBytes > 0)
            bytes += chunk.readableBytesView
        }
        return bytes
    }

    static func write(_ bytes: [UInt8], in directory: String) throws -> String {
        let path = "\(directory)/\(UUID().uuidString).verified"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { throw CocoaError(.fileWriteUnknown) }
        return path
    }
}

/// Blobs in memory, for tests of what sits on a `BlobStore`; chunks of `chunkSize`.
public final class InMemoryBlobStore: BlobStore, Sendable {
    private let blobs = Mutex<[Digest: [UInt8]]>([:])
    let chunkSize: Int

    /// An empty store.
    public init(chunkSize: Int = 64 << 10) {
        self.chunkSize = chunkSize
    }

    public func size(of digest: Digest) async throws -> Int64? {
        blobs.withLock { $0[digest] }.map { Int64($0.count) }
    }

    public func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobChunks? {
        guard let bytes = blobs.withLock({ $0[digest] }) else { return nil }
        let slice = range.map { Array(bytes[Int($0.lowerBound)...Int($0.upperBound)]) } ?? bytes
        let offset = Mutex(0)
        let chunkSize = self.chunkSize
        return BlobChunks {
            offset.withLock { offset in
                guard offset < slice.count else { return nil }
                let end = min(offset + chunkSize, slice.count)
                defer { offset = end }
                return ByteBuffer(bytes: slice[offset..<end])
            }
        }
    }

    public func publish(_ digest: Digest, verifiedFile path: String, size: Int64) async throws {
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        try? FileManager.default.removeItem(atPath: path)
        blobs.withLock { $0[digest] = bytes }
    }

    public func remove(_ digest: Digest) async throws -> Bool {
        blobs.withLock { $0.removeValue(forKey: digest) } != nil
    }

    public func startUpload(_ digest: Digest) async throws -> any BlobUpload {
        InMemoryUpload(store: self, digest: digest)
    }

    fileprivate func store(_ digest: Digest, _ bytes: [UInt8]) {
        blobs.withLock { $0[digest] = bytes }
    }
}

/// Collects the parts in memory and stores them at `complete`.
private final class InMemoryUpload: BlobUpload, Sendable {
    let store: InMemoryBlobStore
    let digest: Digest
    private let received = Mutex<[UInt8]>([])
    var partSize: Int64 { 5 << 20 }

    init(store: InMemoryBlobStore, digest: Digest) {
        self.store = store
        self.digest = digest
    }

    func append(fileAt path: String, offset: Int64, length: Int64) async throws {
        let bytes = try Self.read(path, offset: offset, length: length)
        received.withLock { $0 += bytes }
    }

    func complete(fileAt path: String, from offset: Int64, size: Int64) async throws {
        let rest = try Self.read(path, offset: offset, length: size - offset)
        let bytes = received.withLock { $0 + rest }
        guard bytes.count == size else { throw CocoaError(.fileReadCorruptFile) }
        store.store(digest, bytes)
    }

    func abort() async {}

    static func read(_ path: String, offset: Int64, length: Int64) throws -> [UInt8] {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return [UInt8](try handle.read(upToCount: Int(length)) ?? Data())
    }
}
