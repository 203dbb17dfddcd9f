import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

/// The cache index at scale's small-scale behaviour: manifests and tags in the budget,
/// crash recovery, rebuilding, and blobs the index does not know.
@Suite struct CacheInventoryTests {
    let clock = TestClock()
    let root = makeDataDirectory()
    let repository = try! RepositoryName(parsing: "team/app")

    func openInventory() throws -> CacheInventory {
        try CacheInventory.open(root: root, logger: testLogger, now: { [clock] in clock.now })
    }

    @Test func manifestsAndTagsAreEvictedByTheSameBudgetAsBlobs() async throws {
        let inventory = try openInventory()
        let store = try FileSystemBlobStore(root: root)
        let manifests = try FileSystemManifestStore(root: root, inventory: inventory)
        let old = testManifest("old")
        try manifests.store(old)
        try manifests.storeTag("v1", repository: repository, upstream: "docker", record: TagRecord(digest: old.digest, mediaType: old.mediaType, validatedAt: clock.now))
        clock.advance(by: 1)
        let blob = try writeBlob(store, size: 1000, seed: 1)
        await inventory.committed(.blob(blob), size: 1000)
        clock.advance(by: 1)
        let recent = testManifest("recent")
        try manifests.store(recent)
        let evictor = CacheEvictor(inventory: inventory, manifests: manifests, budget: 1100, lowWaterFraction: 1, logger: testLogger)
        let result = await evictor.evict()
        // The old manifest and its tag go first (least recently used), then the blob.
        #expect(result.manifests == 1 && result.tags == 1 && result.blobs == 1)
        #expect(manifests.manifest(old.digest) == nil, "neither on disk nor in memory")
        #expect(manifests.tag("v1", repository: repository, upstream: "docker") == nil)
        #expect(!store.contains(blob))
        #expect(manifests.manifest(recent.digest) == recent)
        #expect(inventory.totalBytes == inventory.bytes(of: .manifest) && inventory.count(of: .manifest) == 1)
    }

    @Test func readingAManifestOrTagKeepsItCached() async throws {
        let inventory = try openInventory()
        let manifests = try FileSystemManifestStore(root: root, inventory: inventory)
        let first = testManifest("first")
        let second = testManifest("second")
        try manifests.store(first)
        clock.advance(by: 1)
        try manifests.store(second)
        clock.advance(by: 1)
        #expect(manifests.manifest(first.digest) == first)  // from memory: still an access
        let evictor = CacheEvictor(inventory: inventory, manifests: manifests, budget: inventory.totalBytes - 1, lowWaterFraction: 1, logger: testLogger)
        #expect(await evictor.evict().manifests == 1)
        #expect(manifests.manifest(first.digest) == first && manifests.manifest(second.digest) == nil)
    }

    @Test func aTagWhoseManifestWasEvictedIsFetchedAgainNeverServedDangling() async throws {
        let inventory = try openInventory()
        let manifests = try FileSystemManifestStore(root: root, inventory: inventory)
        let upstream = InMemoryUpstream()
        let bytes = testManifest("tagged").bytes
        let digest = upstream.addManifest(bytes, mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        let cache = PullThroughManifestCache(store: manifests, revalidationInterval: 300, logger: testLogger, now: { [clock] in clock.now })
        let get = { try await cache.manifest(.tag("latest"), repository: repository, upstream: upstream, accepted: nil, logger: testLogger) }
        #expect(try await get().source == .miss)
        // Evict just the manifest (its tag record was read more recently).
        clock.advance(by: 1)
        _ = manifests.tag("latest", repository: repository, upstream: "docker")
        await inventory.flush()
        let evictor = CacheEvictor(inventory: inventory, manifests: manifests, budget: inventory.bytes(of: .tag), lowWaterFraction: 1, logger: testLogger)
        #expect(await evictor.evict() == CacheEvictor.Result(manifests: 1, bytes: Int64(MediaType.ociManifest.utf8.count + 1 + bytes.count)))
        let again = try await get()
        #expect(again.source == .miss && again.manifest.digest == digest)
        #expect(upstream.counts.manifestGets == 2)
        // With the upstream down, a tag with no manifest is not served from its record.
        upstream.fail(with: .unreachable("down"))
        _ = await evictor.evict(to: inventory.bytes(of: .tag))
        let error = try await #require(throws: CacheError.self) { _ = try await get() }
        #expect(error.kind == .unavailable)
    }

    @Test func aCrashLeavesTheIndexBehindAndReconciliationCatchesUp() async throws {
        let store = try FileSystemBlobStore(root: root)
        let crashed = try openInventory()
        let kept = try writeBlob(store, size: 100, seed: 1)
        let deleted = try writeBlob(store, size: 200, seed: 2)
        await crashed.committed(.blob(kept), size: 100)
        await crashed.committed(.blob(deleted), size: 200)
        // Not closed (kill -9): a blob committed after the last index write, and one
        // whose index removal was lost.
        let unrecorded = try writeBlob(store, size: 300, seed: 3)
        unlink(store.path(for: deleted))

        let reopened = try openInventory()
        #expect(reopened.needsReconciliation && reopened.isReady)
        #expect(reopened.totalBytes == 300, "what the index knew before the crash")
        let result = try await reopened.reconcile()
        #expect(result == CacheInventory.Reconciliation(added: 1, removed: 1, files: 2))
        #expect(reopened.totalBytes == 400 && reopened.count == 2 && !reopened.needsReconciliation)
        await reopened.close()
        #expect(try !openInventory().needsReconciliation, "closed cleanly after reconciling")
        withExtendedLifetime(crashed) {}
        _ = unrecorded
    }

    @Test func aMissingOrCorruptIndexIsRebuiltFromTheDirectories() async throws {
        let store = try FileSystemBlobStore(root: root)
        let newer = try writeBlob(store, size: 100, seed: 1)
        let older = try writeBlob(store, size: 100, seed: 2)
        let manifests = try FileSystemManifestStore(root: root)
        try manifests.store(testManifest("rebuilt"))
        try manifests.storeTag("v1", repository: repository, upstream: "docker", record: TagRecord(digest: testManifest("rebuilt").digest, mediaType: MediaType.ociManifest, validatedAt: clock.now))
        // An access-times file from before the index: its order is taken over.
        try "\(newer) 2900000000\n\(older) 2800000000\n".write(toFile: root + "/access-times", atomically: true, encoding: .utf8)
        try Data("not a database, a torn write".utf8).write(to: URL(fileURLWithPath: root + "/cache-index.sqlite"))

        let inventory = try openInventory()
        #expect(!inventory.isReady && inventory.needsReconciliation)
        let evictor = CacheEvictor(inventory: inventory, budget: 1, lowWaterFraction: 1, logger: testLogger)
        #expect(await evictor.evict() == CacheEvictor.Result(), "eviction waits for a complete index")
        let result = try await inventory.reconcile()
        #expect(result.added == 4 && result.removed == 0)
        #expect(inventory.isReady && inventory.count == 2 && inventory.count(of: .manifest) == 1 && inventory.count(of: .tag) == 1)
        #expect(!FileManager.default.fileExists(atPath: root + "/access-times"))
        let oldest = try #require(inventory.oldestAccess)
        #expect(oldest == Date(timeIntervalSince1970: 2_800_000_000))
    }

    @Test func aBlobTheIndexDoesNotKnowIsServedAndAdoptedWhenRead() async throws {
        let store = try FileSystemBlobStore(root: root)
        let inventory = try openInventory()
        let unknown = try writeBlob(store, size: 123, seed: 9)
        try await withBlobCache(root: root, inventory: inventory) { cache in
            let hit = try await cache.blob(unknown, repository: testRepository, upstream: InMemoryUpstream(), range: nil)
            #expect(hit.source == .hit && hit.size == 123)
            _ = try await collect(hit.body)
        }
        #expect(inventory.count == 0)
        await inventory.flush()
        #expect(inventory.count == 1 && inventory.totalBytes == 123)
    }

    @Test func theAccessBufferIsBounded() async throws {
        let inventory = try openInventory()
        for number in 0..<(CacheInventory.touchLimit + 10) {
            inventory.touch(.manifest(sha256Digest(Array("\(number)".utf8))))
        }
        #expect(inventory.droppedAccesses == 10)
        await inventory.flush()  // none of them is on disk: nothing adopted
        #expect(inventory.totalBytes == 0)
    }
}
