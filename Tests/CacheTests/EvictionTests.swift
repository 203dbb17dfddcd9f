import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

@Suite struct EvictionTests {
    let clock = TestClock()
    let root = makeDataDirectory()

    func makeInventory() throws -> (FileSystemBlobStore, BlobInventory) {
        let store = try FileSystemBlobStore(root: root)
        let inventory = BlobInventory(store: store, now: { [clock] in clock.now })
        try inventory.load()
        return (store, inventory)
    }

    /// Puts a blob of `size` bytes into the cache directory and the inventory.
    func addBlob(_ store: FileSystemBlobStore, _ inventory: BlobInventory, size: Int, seed: UInt64) throws -> Digest {
        let bytes = seededBytes(count: size, seed: seed)
        let digest = sha256Digest(bytes)
        let path = store.path(for: digest)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: path, contents: Data(bytes))
        inventory.committed(digest, size: Int64(size))
        clock.advance(by: 1)
        return digest
    }

    @Test func evictsLeastRecentlyUsedDownToTheLowWaterMark() throws {
        let (store, inventory) = try makeInventory()
        let digests = try (0..<10).map { try addBlob(store, inventory, size: 1000, seed: UInt64($0)) }
        _ = inventory.lease(digests[0])  // read recently, so it is kept; the lease is dropped at once
        let evictor = CacheEvictor(inventory: inventory, budget: 8000, lowWaterFraction: 0.5, logger: testLogger)
        let result = evictor.evict()
        #expect(result == CacheEvictor.Result(blobs: 6, bytes: 6000))
        #expect(inventory.totalBytes == 4000)
        #expect(store.contains(digests[0]))
        #expect(!store.contains(digests[1]) && !store.contains(digests[6]))
        #expect(store.contains(digests[7]) && store.contains(digests[9]))
        #expect(evictor.evict() == CacheEvictor.Result())  // under budget: nothing to do
    }

    @Test func aBlobBeingReadIsNeverEvicted() throws {
        let (store, inventory) = try makeInventory()
        let oldest = try addBlob(store, inventory, size: 1000, seed: 1)
        let lease = inventory.lease(oldest)
        clock.advance(by: -100)  // make it the oldest again, still leased
        _ = try addBlob(store, inventory, size: 1000, seed: 2)
        let evictor = CacheEvictor(inventory: inventory, budget: 500, lowWaterFraction: 0.1, logger: testLogger)
        evictor.evict()
        #expect(store.contains(oldest))
        withExtendedLifetime(lease) {}
    }

    @Test func leasesEndWhenTheBodyGoes() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 10_000, seed: 3)
        let digest = upstream.addBlob(bytes)
        let (store, inventory) = try makeInventory()
        let evictor = CacheEvictor(inventory: inventory, budget: 1, lowWaterFraction: 0.5, logger: testLogger)
        let cache = PullThroughBlobCache(store: store, logger: testLogger, evictor: evictor)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            let miss = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(try await collect(miss.body) == bytes)
            // Over budget right after the fill: evicted, as nobody reads it.
            while cache.activeDownloads > 0 { await Task.yield() }
            #expect(!store.contains(digest))
            let again = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(try await collect(again.body) == bytes)
            while cache.activeDownloads > 0 { await Task.yield() }
            #expect(upstream.counts.blobGets == 2)
        }
    }

    @Test func accessTimesSurviveARestart() throws {
        let (store, inventory) = try makeInventory()
        let first = try addBlob(store, inventory, size: 100, seed: 1)
        let second = try addBlob(store, inventory, size: 100, seed: 2)
        _ = inventory.lease(first)  // first is now the most recent
        try inventory.persist()
        let reloaded = BlobInventory(store: store, now: { [clock] in clock.now })
        try reloaded.load()
        #expect(reloaded.totalBytes == 200 && reloaded.count == 2)
        #expect(reloaded.evictionCandidates(toFree: 100).map(\.digest) == [second])
    }

    @Test func purgeRemovesARepositorysTagsManifestsAndBlobs() throws {
        let (store, inventory) = try makeInventory()
        let manifests = try FileSystemManifestStore(root: root)
        let layer = try addBlob(store, inventory, size: 100, seed: 5)
        let config = try addBlob(store, inventory, size: 50, seed: 6)
        let other = try addBlob(store, inventory, size: 70, seed: 7)
        let body = Array(#"{"schemaVersion":2,"config":{"digest":"\#(config)"},"layers":[{"digest":"\#(layer)"}]}"#.utf8)
        let manifestDigest = sha256Digest(body)
        try manifests.store(StoredManifest(mediaType: MediaType.ociManifest, digest: manifestDigest, bytes: body))
        try manifests.storeTag("v1", repository: testRepository, upstream: "docker", record: TagRecord(digest: manifestDigest, mediaType: MediaType.ociManifest, validatedAt: clock.now))
        let result = try CachePurge.remove(repository: testRepository, root: root, blobs: store, manifests: manifests, inventory: inventory)
        #expect(result.tags == 1 && result.digests == 3)
        #expect(!store.contains(layer) && !store.contains(config) && store.contains(other))
        #expect(manifests.tag("v1", repository: testRepository, upstream: "docker") == nil)
        #expect(inventory.totalBytes == 70)
        #expect(CachePurge.remove(other, blobs: store, manifests: manifests, inventory: inventory))
        #expect(!CachePurge.remove(other, blobs: store, manifests: manifests, inventory: inventory))
    }
}
