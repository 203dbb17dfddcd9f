import Cache
import FerryTestSupport
import Foundation
import NIOCore
import OCI
import Synchronization
import Testing

/// The cache's second level (issue 19) over an in-memory store and index: what one
/// server fetched, another serves without the upstream; nothing unverified is ever
/// stored; a failing store leaves the local cache working.
@Suite struct SharedStorageTests {
    let upstream = InMemoryUpstream(chunkSize: 256 << 10)
    let store = InMemoryBlobStore()
    let index = InMemorySharedBlobIndex()

    func withCache<T: Sendable>(store: (any BlobStore)? = nil, _ body: @Sendable (PullThroughBlobCache) async throws -> T) async throws -> T {
        let shared = SharedStorage(store: store ?? self.store, index: index, logger: testLogger)
        let cache = PullThroughBlobCache(store: try FileSystemBlobStore(root: makeDataDirectory()), logger: testLogger, shared: shared)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            return try await body(cache)
        }
    }

    @Test func aBlobOneServerFetchedIsServedByAnotherFromTheSharedStore() async throws {
        let bytes = seededBytes(count: 12 << 20, seed: 31)  // several upload parts
        let digest = upstream.addBlob(bytes)
        try await withCache { first in
            let miss = try await first.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(miss.source == .miss)
            #expect(try await collect(miss.body) == bytes)
            while first.activeDownloads > 0 { await Task.yield() }
        }
        #expect(try await index.size(of: digest) == Int64(bytes.count))
        #expect(try await store.size(of: digest) == Int64(bytes.count))
        try await withCache { second in
            let shared = try await second.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(shared.source == .shared)
            #expect(try await collect(shared.body) == bytes)
            while second.activeDownloads > 0 { await Task.yield() }
            #expect(try await second.blob(digest, repository: testRepository, upstream: upstream, range: nil).source == .hit)
        }
        try await withCache { third in
            let range = try await third.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 100, end: 199))
            #expect(range.source == .shared && range.range == 100...199)
            #expect(try await collect(range.body) == Array(bytes[100...199]))
            #expect(third.activeDownloads == 0)
        }
        #expect(upstream.counts.blobGets == 1)
    }

    @Test func aCorruptDownloadIsNeverStored() async throws {
        let digest = upstream.addBlob(seededBytes(count: 8 << 20, seed: 32))
        upstream.corrupt(digest)
        try await withCache { cache in
            await #expect(throws: CacheError.self) {
                _ = try await collect(try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil).body)
            }
            while cache.activeDownloads > 0 { await Task.yield() }
        }
        #expect(try await index.size(of: digest) == nil)
        #expect(try await store.size(of: digest) == nil)
    }

    @Test func aFailingSharedStoreLeavesTheLocalCacheWorking() async throws {
        let bytes = seededBytes(count: 6 << 20, seed: 33)
        let digest = upstream.addBlob(bytes)
        try await withCache(store: FailingBlobStore()) { cache in
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(try await collect(response.body) == bytes)
            while cache.activeDownloads > 0 { await Task.yield() }
            #expect(try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil).source == .hit)
        }
        #expect(try await index.size(of: digest) == nil)
    }
}

/// A shared store that is down.
struct FailingBlobStore: BlobStore {
    struct Down: Error {}
    func size(of digest: Digest) async throws -> Int64? { throw Down() }
    func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobChunks? { throw Down() }
    func publish(_ digest: Digest, verifiedFile path: String, size: Int64) async throws { throw Down() }
    func remove(_ digest: Digest) async throws -> Bool { throw Down() }
    func startUpload(_ digest: Digest) async throws -> any BlobUpload { throw Down() }
}
