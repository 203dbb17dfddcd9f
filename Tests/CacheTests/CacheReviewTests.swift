import Cache
import FerryTestSupport
import Foundation
import NIOPosix
import OCI
import Testing

/// The cache review's findings, each pinned by a test that failed before the fix.
@Suite struct CacheReviewTests {
    /// Fails the test if `body` takes longer than `seconds`.
    func within<T: Sendable>(_ seconds: Double, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(for: .seconds(seconds))
                return nil
            }
            let first = try await group.next()!
            group.cancelAll()
            guard let value = first else { throw TimedOut() }
            return value
        }
    }

    struct TimedOut: Error {}

    /// #2: a range on a miss ends once its bytes are sent, while the download goes on.
    @Test func aRangeOnAMissEndsWhenItsBytesAreSent() async throws {
        let upstream = InMemoryUpstream(chunkSize: 64 << 10)
        let bytes = seededBytes(count: 1 << 20, seed: 21)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        try await withBlobCache { cache in
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 0, end: 9))
            #expect(response.range == 0...9)
            let received = try await within(5) { try await collect(response.body) }
            #expect(received == Array(bytes[0...9]))
            gate.open()
        }
    }

    /// #3: one client's 404 from its repository is not another client's answer.
    @Test func oneRepositorysNotFoundDoesNotFailAnotherRepositorysWaiters() async throws {
        let missing = InMemoryUpstream(id: "a", registry: "a.example")
        let serving = InMemoryUpstream(id: "b", registry: "b.example")
        let bytes = seededBytes(count: 300_000, seed: 22)
        let digest = serving.addBlob(bytes)
        let gate = BlobGate()
        missing.holdResponses(with: gate)
        try await withBlobCache { cache in
            let first = Task { try await cache.blob(digest, repository: try RepositoryName(parsing: "missing"), upstream: missing, range: nil) }
            let second = Task { try await collect(try await cache.blob(digest, repository: testRepository, upstream: serving, range: nil).body) }
            while cache.waitingReaders(on: digest) < 2 { await Task.yield() }
            gate.open()
            await #expect(throws: CacheError.self) { _ = try await first.value }
            let received = try await second.value
            #expect(received == bytes)
        }
    }

    /// #3, manifests: a request for a digest in one repository never waits for, or
    /// shares, another repository's answer.
    @Test func manifestsByDigestAreNotSharedAcrossRepositories() async throws {
        let upstream = InMemoryUpstream()
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#.utf8)
        let digest = upstream.addManifest(bytes, mediaType: MediaType.ociManifest, repository: "team/app")
        let slow = InMemoryUpstream()
        let gate = BlobGate()
        slow.holdResponses(with: gate)
        let cache = PullThroughManifestCache(store: try FileSystemManifestStore(root: makeDataDirectory()), revalidationInterval: 300, logger: testLogger)
        let stuck = Task {
            try await cache.manifest(.digest(digest), repository: try RepositoryName(parsing: "missing"), upstream: slow, accepted: nil, logger: testLogger)
        }
        // Review D2: the other repository's request is under way (held at the slow
        // upstream) before this one starts, so a shared flight would be joined.
        while gate.waiting == 0 { await Task.yield() }
        // Were the flight shared, this request would wait for the held one: a watchdog
        // lets it go after 5 s (with the other repository's "not found"), so the test
        // fails instead of hanging.
        let watchdog = Task {
            try await Task.sleep(for: .seconds(5))
            gate.open()
        }
        let served = try await cache.manifest(.digest(digest), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        #expect(!watchdog.isCancelled)
        watchdog.cancel()
        #expect(served.manifest.bytes == bytes)
        gate.open()
        // And the other repository gets its own answer: not found there, never team/app's manifest.
        await #expect(throws: CacheError.self) { _ = try await stuck.value }
    }

    /// #4: a cached tag still pulls when nothing can be written any more.
    @Test func aCachedTagStillPullsWhenTheDiskIsFull() async throws {
        let clock = TestClock()
        let root = makeDataDirectory()
        let upstream = InMemoryUpstream()
        let old = Array(#"{"schemaVersion":2,"config":{"digest":"one"}}"#.utf8)
        let oldDigest = upstream.addManifest(old, mediaType: MediaType.ociManifest, repository: "team/app", tag: "v1")
        let cache = PullThroughManifestCache(store: try FileSystemManifestStore(root: root), revalidationInterval: 300, logger: testLogger, now: { clock.now })
        _ = try await cache.manifest(.tag("v1"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        // Nothing can be created under tmp/ any more (as on a full disk).
        try FileManager.default.removeItem(atPath: root + "/tmp")
        _ = FileManager.default.createFile(atPath: root + "/tmp", contents: Data("x".utf8))
        clock.advance(by: 301)
        let revalidated = try await cache.manifest(.tag("v1"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        #expect(revalidated.manifest.digest == oldDigest && revalidated.manifest.bytes == old)
        // A new tag is fetched and served from memory, though it cannot be stored.
        let new = Array(#"{"schemaVersion":2,"config":{"digest":"two"}}"#.utf8)
        let newDigest = upstream.addManifest(new, mediaType: MediaType.ociManifest, repository: "team/app", tag: "v2")
        let fetched = try await cache.manifest(.tag("v2"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        #expect(fetched.manifest.digest == newDigest)
    }

    /// #9: a manifest file that does not hash to its digest (torn by a crash) is never
    /// served; it is fetched again.
    @Test func aTornManifestFileIsRefetched() async throws {
        let root = makeDataDirectory()
        let upstream = InMemoryUpstream()
        let bytes = Array(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","layers":[]}"#.utf8)
        let digest = upstream.addManifest(bytes, mediaType: MediaType.ociManifest, repository: "team/app")
        let store = try FileSystemManifestStore(root: root)
        let path = store.manifestPath(digest)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data((MediaType.ociManifest + "\n").utf8) + Data(bytes.prefix(20)))
        let cache = PullThroughManifestCache(store: try FileSystemManifestStore(root: root), revalidationInterval: 300, logger: testLogger)
        let answer = try await cache.manifest(.digest(digest), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        #expect(answer.source == .miss && answer.manifest.bytes == bytes)
        #expect(upstream.counts.manifestGets == 1)
    }

    /// #8: after a failed revalidation, cached tags are served stale without asking the
    /// upstream again for 30 seconds.
    @Test func staleServingBacksOff() async throws {
        let clock = TestClock()
        let upstream = InMemoryUpstream()
        _ = upstream.addManifest(Array(#"{"schemaVersion":2}"#.utf8), mediaType: MediaType.ociManifest, repository: "team/app", tag: "v1")
        let cache = PullThroughManifestCache(store: try FileSystemManifestStore(root: makeDataDirectory()), revalidationInterval: 300, logger: testLogger, now: { clock.now })
        _ = try await cache.manifest(.tag("v1"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        upstream.fail(with: .unreachable("blackholed"))
        clock.advance(by: 301)
        #expect(try await cache.manifest(.tag("v1"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger).source == .stale)
        let asked = upstream.counts.manifestHeads
        clock.advance(by: 20)
        #expect(try await cache.manifest(.tag("v1"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger).source == .stale)
        #expect(upstream.counts.manifestHeads == asked)
        clock.advance(by: 11)
        _ = try await cache.manifest(.tag("v1"), repository: testRepository, upstream: upstream, accepted: nil, logger: testLogger)
        #expect(upstream.counts.manifestHeads == asked + 1)
    }

    /// #6: fsync runs on its own pool: a cache hit streams while a commit's fsync is
    /// stuck, and readers of the committing blob get their last byte once it verified.
    @Test func fsyncDoesNotBlockHitsOrTheLastByte() async throws {
        let pools = BlobIOPools(io: NIOThreadPool(numberOfThreads: 1), sync: NIOThreadPool(numberOfThreads: 1))
        pools.io.start()
        pools.sync.start()
        let root = makeDataDirectory()
        let upstream = InMemoryUpstream()
        let cachedBytes = seededBytes(count: 2 << 20, seed: 23)
        let cached = upstream.addBlob(cachedBytes)
        let newBytes = seededBytes(count: 2 << 20, seed: 24)
        let new = upstream.addBlob(newBytes)
        let cache = PullThroughBlobCache(store: try FileSystemBlobStore(root: root, pools: pools), logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            _ = try await collect(try await cache.blob(cached, repository: testRepository, upstream: upstream, range: nil).body)
            // Jam the sync pool.
            let release = DispatchSemaphore(value: 0)
            let jam = Task { try await pools.sync.runIfActive { release.wait() } }
            let fresh = try await within(10) { try await collect(try await cache.blob(new, repository: testRepository, upstream: upstream, range: nil).body) }
            #expect(fresh == newBytes)
            let hit = try await within(10) { try await collect(try await cache.blob(cached, repository: testRepository, upstream: upstream, range: nil).body) }
            #expect(hit == cachedBytes)
            release.signal()
            try await jam.value
        }
        try await pools.io.shutdownGracefully()
        try await pools.sync.shutdownGracefully()
    }

    /// #7: a reader resumed from the upstream after the disk filled still never gets a
    /// complete body of bad data.
    @Test func aResumedReaderVerifiesTheWholeBlob() async throws {
        let upstream = InMemoryUpstream(chunkSize: 256 * 1024)
        let bytes = seededBytes(count: 4 << 20, seed: 25)
        let digest = upstream.addBlob(bytes)
        upstream.corrupt(digest)
        let gate = BlobGate()
        upstream.hold(with: gate)
        let store = try FileSystemBlobStore(root: makeDataDirectory())
        let cache = PullThroughBlobCache(store: store, logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            var iterator = response.body.makeAsyncIterator()
            let first = try #require(try await iterator.next())
            var received = first.readableBytes
            store.space.setReserve(.max)  // the disk is now full
            gate.open()
            await #expect(throws: CacheError.self) {
                while let chunk = try await iterator.next() { received += chunk.readableBytes }
            }
            #expect(received < bytes.count)
        }
    }

    /// #11: in disk-full mode a range is still answered with 206 and just its bytes.
    @Test func aFullDiskStillAnswersRanges() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 300_000, seed: 26)
        let digest = upstream.addBlob(bytes)
        let cache = PullThroughBlobCache(store: try FileSystemBlobStore(root: makeDataDirectory(), reserve: .max), logger: testLogger)
        let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 10, end: 19))
        #expect(response.range == 10...19 && response.size == Int64(bytes.count))
        #expect(try await collect(response.body) == Array(bytes[10...19]))
        await #expect(throws: CacheError.self) {
            _ = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 400_000, end: nil))
        }
    }

    /// #12: a client that joins a download that stops writing before its first byte is
    /// served from the upstream, not told "disk full".
    @Test func joinersOfADownloadThatHitsAFullDiskAreServed() async throws {
        let upstream = InMemoryUpstream(chunkSize: 512 * 1024)
        let bytes = seededBytes(count: 3 << 20, seed: 27)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.holdResponses(with: gate)
        let store = try FileSystemBlobStore(root: makeDataDirectory())
        let cache = PullThroughBlobCache(store: store, logger: testLogger)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await cache.run() }
            defer { cache.finish() }
            let readers = (0..<2).map { _ in
                Task { try await collect(try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil).body) }
            }
            while cache.waitingReaders(on: digest) < 2 { await Task.yield() }
            store.space.setReserve(store.space.freeBytes - 1000)  // room for nothing but the check at request time
            gate.open()
            for reader in readers {
                let received = try await reader.value
                #expect(received == bytes)
            }
        }
    }

    /// #13: a leader cancelled mid-request (upstream errors say `.cancelled`) does not
    /// fail the callers waiting on it: one of them runs the work again.
    @Test func aCancelledLeaderMakesAWaiterRetry() async throws {
        let flights = SingleFlight<String, Int>()
        let gate = BlobGate()
        let leader = Task {
            try await flights.run("k") {
                await gate.wait()
                throw UpstreamError.cancelled
            }
        }
        while flights.inFlightCount == 0 { await Task.yield() }
        let waiter = Task { try await flights.run("k") { 42 } }
        while flights.waiters(for: "k") == 0 { await Task.yield() }
        gate.open()
        await #expect(throws: UpstreamError.cancelled) { _ = try await leader.value }
        #expect(try await waiter.value == 42)
    }
}
