import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

@Suite struct DiskFullTests {
    @Test func aFullDiskServesFromTheUpstreamWithoutCaching() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 3 << 20, seed: 11)
        let digest = upstream.addBlob(bytes)
        let root = makeDataDirectory()
        let store = try FileSystemBlobStore(root: root, reserve: .max)  // never room
        let cache = PullThroughBlobCache(store: store, logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            for _ in 0..<2 {
                let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
                #expect(try await collect(response.body) == bytes)
            }
        }
        #expect(!store.contains(digest))
        #expect(temporaryFiles(in: root).isEmpty)
        #expect(upstream.counts.blobGets == 2)
    }

    @Test func readersContinueFromTheUpstreamWhenTheDiskFillsMidDownload() async throws {
        let upstream = InMemoryUpstream(chunkSize: 256 * 1024)
        let bytes = seededBytes(count: 4 << 20, seed: 12)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        let root = makeDataDirectory()
        let store = try FileSystemBlobStore(root: root)
        let cache = PullThroughBlobCache(store: store, logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            let readers = (0..<3).map { _ in
                Task { try await collect(try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil).body) }
            }
            while cache.activeDownloads == 0 { await Task.yield() }
            store.space.setReserve(.max)  // the disk is now full
            gate.open()
            for reader in readers {
                let received = try await reader.value
                #expect(received == bytes)
            }
        }
        #expect(!store.contains(digest))
        #expect(temporaryFiles(in: root).isEmpty)
        #expect(upstream.counts.blobGets >= 2)  // the stopped download, then each reader's resumption
    }

    @Test func anUncachedBodyFromACorruptUpstreamNeverCompletes() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 600_000, seed: 13)
        let digest = upstream.addBlob(bytes)
        upstream.corrupt(digest)
        let cache = PullThroughBlobCache(store: try FileSystemBlobStore(root: makeDataDirectory(), reserve: .max), logger: testLogger)
        let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
        var received = 0
        await #expect(throws: CacheError.self) {
            for try await chunk in response.body { received += chunk.readableBytes }
        }
        #expect(received < bytes.count)
    }
}
