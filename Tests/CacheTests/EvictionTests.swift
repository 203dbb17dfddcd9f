import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

@Suite struct EvictionTests {
    let clock = TestClock()
    let root = makeDataDirectory()

    func makeInventory() throws -> (FileSystemBlobStore, CacheInventory) {
        let store = try FileSystemBlobStore(root: root)
        return (store, try openInventory())
    }

    func openInventory() throws -> CacheInventory {
        try CacheInventory.open(root: root, logger: testLogger, now: { [clock] in clock.now })
    }

    /// Puts a blob of `size` bytes into the cache directory and the inventory.
    func addBlob(_ store: FileSystemBlobStore, _ inventory: CacheInventory, size: Int, seed: UInt64) async throws -> Digest {
        let digest = try writeBlob(store, size: size, seed: seed)
        await inventory.committed(.blob(digest), size: Int64(size))
        clock.advance(by: 1)
        return digest
    }

    @Test func evictsLeastRecentlyUsedDownToTheLowWaterMark() async throws {
        let (store, inventory) = try makeInventory()
        var digests: [Digest] = []
        for seed in 0..<10 { digests.append(try await addBlob(store, inventory, size: 1000, seed: UInt64(seed))) }
        _ = inventory.lease(digests[0])  // read recently, so it is kept; the lease is dropped at once
        let evictor = CacheEvictor(inventory: inventory, budget: 8000, lowWaterFraction: 0.5, logger: testLogger)
        let result = await evictor.evict()
        #expect(result == CacheEvictor.Result(blobs: 6, bytes: 6000))
        #expect(inventory.totalBytes == 4000 && inventory.count == 4)
        #expect(store.contains(digests[0]))
        #expect(!store.contains(digests[1]) && !store.contains(digests[6]))
        #expect(store.contains(digests[7]) && store.contains(digests[9]))
        #expect(await evictor.evict() == CacheEvictor.Result())  // under budget: nothing to do
    }

    @Test func aBlobBeingReadIsNeverEvicted() async throws {
        let (store, inventory) = try makeInventory()
        let oldest = try await addBlob(store, inventory, size: 1000, seed: 1)
        var lease: ReadLease? = inventory.lease(oldest)
        await inventory.flush()
        clock.advance(by: -100)  // make the other one older still: the leased one is kept anyway
        let other = try await addBlob(store, inventory, size: 1000, seed: 2)
        let evictor = CacheEvictor(inventory: inventory, budget: 500, lowWaterFraction: 0.1, logger: testLogger)
        #expect(await evictor.evict() == CacheEvictor.Result(blobs: 1, bytes: 1000))
        #expect(store.contains(oldest) && !store.contains(other))
        #expect(lease != nil)
        lease = nil
        // Released: the next pass may take it.
        #expect(await evictor.evict() == CacheEvictor.Result(blobs: 1, bytes: 1000))
        #expect(!store.contains(oldest) && inventory.totalBytes == 0)
    }

    @Test func leasesEndWhenTheBodyGoes() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 10_000, seed: 3)
        let digest = upstream.addBlob(bytes)
        let (store, inventory) = try makeInventory()
        let (evictions, evicted) = AsyncStream.makeStream(of: Int64.self)
        let evictor = CacheEvictor(inventory: inventory, budget: 1, lowWaterFraction: 0.5, logger: testLogger) { evicted.yield($0) }
        let cache = PullThroughBlobCache(store: store, logger: testLogger, evictor: evictor)
        var waiting = evictions.makeAsyncIterator()
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            let miss = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(try await collect(miss.body) == bytes)
            // Over budget right after the fill: evicted, as nobody reads it.
            #expect(await waiting.next() == 10_000)
            #expect(!store.contains(digest))
            let again = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(try await collect(again.body) == bytes)
            #expect(await waiting.next() == 10_000)
            #expect(upstream.counts.blobGets == 2)
        }
    }

    @Test func accessTimesSurviveARestart() async throws {
        let (store, inventory) = try makeInventory()
        let first = try await addBlob(store, inventory, size: 100, seed: 1)
        let second = try await addBlob(store, inventory, size: 100, seed: 2)
        _ = inventory.lease(first)  // first is now the most recent; only in memory until closed
        await inventory.close()
        let reopened = try openInventory()
        #expect(!reopened.needsReconciliation && reopened.isReady)
        #expect(reopened.totalBytes == 200 && reopened.count == 2)
        let evictor = CacheEvictor(inventory: reopened, budget: 150, lowWaterFraction: 1, logger: testLogger)
        #expect(await evictor.evict() == CacheEvictor.Result(blobs: 1, bytes: 100))
        #expect(store.contains(first) && !store.contains(second))
    }

    @Test func runningTotalsFollowCommitsEvictionsAndPurges() async throws {
        let (store, inventory) = try makeInventory()
        let manifests = try FileSystemManifestStore(root: root, inventory: inventory)
        let blob = try await addBlob(store, inventory, size: 300, seed: 1)
        _ = try await addBlob(store, inventory, size: 200, seed: 2)
        await inventory.committed(.blob(blob), size: 300)  // committed again (e.g. re-fetched): counted once
        let manifest = testManifest("totals")
        try manifests.store(manifest)
        let manifestBytes = Int64(MediaType.ociManifest.utf8.count + 1 + manifest.bytes.count)
        #expect(inventory.count == 2 && inventory.count(of: .manifest) == 1)
        #expect(inventory.bytes(of: .blob) == 500 && inventory.totalBytes == 500 + manifestBytes)
        let maintenance = CacheMaintenance(blobs: store, manifests: manifests, inventory: inventory, logger: testLogger)
        #expect(try maintenance.purge(blob.description) == .init(tags: 0, digests: 1, removed: [blob]))
        #expect(inventory.totalBytes == 200 + manifestBytes && inventory.count == 1)
        let stats = maintenance.stats()
        #expect(stats.bytes == 200 + manifestBytes && stats.blobs == 1 && stats.manifests == 1 && stats.tags == 0)
    }

    @Test func purgeRemovesARepositorysTagsManifestsAndBlobs() async throws {
        let (store, inventory) = try makeInventory()
        let manifests = try FileSystemManifestStore(root: root, inventory: inventory)
        let layer = try await addBlob(store, inventory, size: 100, seed: 5)
        let config = try await addBlob(store, inventory, size: 50, seed: 6)
        let other = try await addBlob(store, inventory, size: 70, seed: 7)
        let body = Array(#"{"schemaVersion":2,"config":{"digest":"\#(config)"},"layers":[{"digest":"\#(layer)"}]}"#.utf8)
        let manifestDigest = sha256Digest(body)
        try manifests.store(StoredManifest(mediaType: MediaType.ociManifest, digest: manifestDigest, bytes: body))
        try manifests.storeTag("v1", repository: testRepository, upstream: "docker", record: TagRecord(digest: manifestDigest, mediaType: MediaType.ociManifest, validatedAt: clock.now))
        #expect(inventory.count(of: .tag) == 1)
        let maintenance = CacheMaintenance(blobs: store, manifests: manifests, inventory: inventory, logger: testLogger)
        let result = try maintenance.purge(testRepository.value)
        #expect(result.tags == 1 && result.digests == 3 && result.removed == [manifestDigest, config, layer].sorted())
        #expect(!store.contains(layer) && !store.contains(config) && store.contains(other))
        #expect(manifests.tag("v1", repository: testRepository, upstream: "docker") == nil)
        #expect(inventory.totalBytes == 70 && inventory.count(of: .manifest) == 0 && inventory.count(of: .tag) == 0)
        #expect(try maintenance.purge(other.description) == .init(tags: 0, digests: 1, removed: [other]))
        #expect(throws: CacheError.self) { try maintenance.purge(other.description) }
        #expect(throws: CacheError.self) { try maintenance.purge(testRepository.value) }
    }
}

/// Writes a blob of `size` seeded bytes into the store's directory (as a commit would).
func writeBlob(_ store: FileSystemBlobStore, size: Int, seed: UInt64) throws -> Digest {
    let bytes = seededBytes(count: size, seed: seed)
    let digest = sha256Digest(bytes)
    let path = store.path(for: digest)
    try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
    _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
    return digest
}

/// A small, valid OCI manifest whose bytes depend on `name`.
func testManifest(_ name: String) -> StoredManifest {
    let bytes = Array(#"{"schemaVersion":2,"mediaType":"\#(MediaType.ociManifest)","config":{"digest":"\#(name)"}}"#.utf8)
    return StoredManifest(mediaType: MediaType.ociManifest, digest: sha256Digest(bytes), bytes: bytes)
}
