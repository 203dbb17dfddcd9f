import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

@Suite struct PullThroughManifestCacheTests {
    let upstream = InMemoryUpstream()
    let clock = TestClock()
    let cache: PullThroughManifestCache
    let repository = try! RepositoryName(parsing: "team/app")

    init() throws {
        let now: @Sendable () -> Date = { [clock] in clock.now }
        cache = PullThroughManifestCache(
            store: try FileSystemManifestStore(root: makeDataDirectory()),
            revalidationInterval: 300,
            logger: testLogger,
            now: now
        )
    }

    func manifestBytes(_ text: String) -> [UInt8] {
        Array(#"{"schemaVersion":2,"mediaType":"\#(MediaType.ociManifest)","config":{"digest":"\#(text)"}}"#.utf8)
    }

    func get(_ reference: String, accept: [String] = MediaType.allManifestTypes) async throws -> ManifestResponse {
        try await cache.manifest(try Reference(parsing: reference), repository: repository, upstream: upstream, accepted: accept, logger: testLogger)
    }

    @Test func tagIsServedFromCacheWithinTheInterval() async throws {
        let bytes = manifestBytes("one")
        let digest = upstream.addManifest(bytes, mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        let first = try await get("latest")
        #expect(first.source == .miss)
        #expect(first.manifest.bytes == bytes)
        #expect(first.manifest.digest == digest)
        #expect(first.manifest.mediaType == MediaType.ociManifest)
        clock.advance(by: 299)
        let second = try await get("latest")
        #expect(second.source == .hit)
        #expect(upstream.counts == .init(manifestGets: 1))
    }

    @Test func expiredTagIsRevalidatedWithHeadOnly() async throws {
        upstream.addManifest(manifestBytes("one"), mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        _ = try await get("latest")
        clock.advance(by: 301)
        let revalidated = try await get("latest")
        #expect(revalidated.source == .hit)
        #expect(upstream.counts.manifestGets == 1)
        #expect(upstream.counts.manifestHeads == 1)
        // The revalidation restarted the interval.
        clock.advance(by: 100)
        _ = try await get("latest")
        #expect(upstream.counts.manifestHeads == 1)
    }

    @Test func movedTagIsRefetched() async throws {
        upstream.addManifest(manifestBytes("one"), mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        _ = try await get("latest")
        let newBytes = manifestBytes("two")
        let newDigest = upstream.addManifest(newBytes, mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        clock.advance(by: 301)
        let moved = try await get("latest")
        #expect(moved.source == .miss)
        #expect(moved.manifest.digest == newDigest)
        #expect(upstream.counts.manifestHeads == 1)
        #expect(upstream.counts.manifestGets == 2)
    }

    @Test(arguments: [
        UpstreamError.unreachable("connection refused"),
        .rateLimited(retryAfter: 30),
        .status(502),
    ])
    func staleTagIsServedWhenTheUpstreamCannotAnswer(failure: UpstreamError) async throws {
        let bytes = manifestBytes("one")
        upstream.addManifest(bytes, mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        _ = try await get("latest")
        clock.advance(by: 3600)
        upstream.fail(with: failure)
        let stale = try await get("latest")
        #expect(stale.source == .stale)
        #expect(stale.manifest.bytes == bytes)
    }

    @Test func upstreamNotFoundIsPassedOnAndForgetsTheTag() async throws {
        upstream.addManifest(manifestBytes("one"), mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        _ = try await get("latest")
        upstream.removeTag("latest", repository: "team/app")
        clock.advance(by: 301)
        let error = try await #require(throws: CacheError.self) { _ = try await get("latest") }
        #expect(error.kind == .manifestUnknown)
        upstream.fail(with: .unreachable("down"))
        let afterwards = try await #require(throws: CacheError.self) { _ = try await get("latest") }
        #expect(afterwards.kind == .unavailable)
    }

    @Test func uncachedTagWithUpstreamDownIsUnavailable() async throws {
        upstream.fail(with: .unreachable("down"))
        let error = try await #require(throws: CacheError.self) { _ = try await get("latest") }
        #expect(error.kind == .unavailable)
    }

    @Test func digestReferenceIsFetchedOnceAndVerified() async throws {
        let bytes = manifestBytes("pinned")
        let digest = upstream.addManifest(bytes, mediaType: MediaType.dockerManifest, repository: "team/app")
        let first = try await get(digest.description)
        #expect(first.source == .miss)
        #expect(first.manifest.mediaType == MediaType.dockerManifest)
        upstream.fail(with: .unreachable("down"))
        clock.advance(by: 86400 * 365)
        let second = try await get(digest.description)
        #expect(second.source == .hit)
        #expect(second.manifest.bytes == bytes)
        #expect(upstream.counts.manifestGets == 1)
    }

    @Test func concurrentRequestsForOneTagShareOneUpstreamFetch() async throws {
        upstream.addManifest(manifestBytes("one"), mediaType: MediaType.ociManifest, repository: "team/app", tag: "latest")
        try await withThrowingTaskGroup(of: Digest.self) { group in
            for _ in 0..<20 { group.addTask { try await get("latest").manifest.digest } }
            var digests = Set<Digest>()
            for try await digest in group { digests.insert(digest) }
            #expect(digests.count == 1)
        }
        #expect(upstream.counts.manifestGets <= 20)
        #expect(upstream.counts.manifestGets >= 1)
    }

    @Test func clientThatCannotTakeAnIndexGetsTheLinuxAmd64Manifest() async throws {
        let arm = upstream.addManifest(manifestBytes("arm"), mediaType: MediaType.ociManifest, repository: "team/app")
        let amd = upstream.addManifest(manifestBytes("amd"), mediaType: MediaType.ociManifest, repository: "team/app")
        let index = #"{"schemaVersion":2,"mediaType":"\#(MediaType.ociIndex)","manifests":[{"mediaType":"\#(MediaType.ociManifest)","digest":"\#(arm)","size":1,"platform":{"os":"linux","architecture":"arm64"}},{"mediaType":"\#(MediaType.ociManifest)","digest":"\#(amd)","size":1,"platform":{"os":"linux","architecture":"amd64"}}]}"#
        upstream.addManifest(Array(index.utf8), mediaType: MediaType.ociIndex, repository: "team/app", tag: "multi")

        let full = try await get("multi")
        #expect(full.manifest.mediaType == MediaType.ociIndex)
        let single = try await get("multi", accept: [MediaType.ociManifest])
        #expect(single.manifest.digest == amd)
        let error = try await #require(throws: CacheError.self) { _ = try await get("multi", accept: [MediaType.dockerManifest]) }
        #expect(error.kind == .notAcceptable)
    }
}
