import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

/// Review S2: a client's manifest HEAD never costs an upstream GET. It is answered from
/// the cache, or from an upstream HEAD (free on Docker Hub), caching nothing; only what
/// an upstream HEAD cannot tell (the platform manifest of an index, for a client that
/// cannot take the index) is left to a GET, which the caller counts as a pull.
@Suite struct ManifestHeadTests {
    let upstream = InMemoryUpstream()
    let clock = TestClock()
    let cache: PullThroughManifestCache
    let repository = try! RepositoryName(parsing: "team/app")

    init() throws {
        let now: @Sendable () -> Date = { [clock] in clock.now }
        cache = PullThroughManifestCache(store: try FileSystemManifestStore(root: makeDataDirectory()), revalidationInterval: 300, logger: testLogger, now: now)
    }

    func head(_ reference: String, accept: [String] = MediaType.allManifestTypes) async throws -> ManifestHead? {
        try await cache.manifestHead(try Reference(parsing: reference), repository: repository, upstream: upstream, accepted: accept, logger: testLogger)
    }

    func get(_ reference: String, accept: [String] = MediaType.allManifestTypes) async throws -> ManifestResponse {
        try await cache.manifest(try Reference(parsing: reference), repository: repository, upstream: upstream, accepted: accept, logger: testLogger)
    }

    @Test func anUncachedTagOrDigestIsAnsweredByAnUpstreamHeadAndNothingIsCached() async throws {
        let bytes = Array(#"{"schemaVersion":2,"v":1}"#.utf8)
        let digest = upstream.addManifest(bytes, mediaType: MediaType.ociManifest, repository: "team/app", tag: "v1")
        for _ in 0..<2 {
            #expect(try await head("v1") == ManifestHead(digest: digest, mediaType: MediaType.ociManifest, size: bytes.count, source: .miss))
            #expect(try await head(digest.description)?.digest == digest)
        }
        #expect(upstream.counts == InMemoryUpstream.Counts(manifestHeads: 4))
        #expect(cache.store.manifest(digest) == nil)
        await #expect(throws: CacheError.self) { _ = try await head("missing") }
    }

    @Test func aCachedTagIsAnsweredFromTheCacheAndRevalidatedWithAHead() async throws {
        let first = upstream.addManifest(Array(#"{"schemaVersion":2,"v":1}"#.utf8), mediaType: MediaType.ociManifest, repository: "team/app", tag: "v1")
        _ = try await get("v1")
        #expect(try await head("v1")?.source == .hit)
        #expect(upstream.counts == InMemoryUpstream.Counts(manifestGets: 1))
        clock.advance(by: 301)
        #expect(try await head("v1") == ManifestHead(digest: first, mediaType: MediaType.ociManifest, size: 25, source: .hit))
        #expect(upstream.counts == InMemoryUpstream.Counts(manifestGets: 1, manifestHeads: 1))
        // The tag moved: the HEAD says so, and the GET that follows fetches the new manifest.
        clock.advance(by: 301)
        let moved = upstream.addManifest(Array(#"{"schemaVersion":2,"v":2}"#.utf8), mediaType: MediaType.ociManifest, repository: "team/app", tag: "v1")
        #expect(try await head("v1")?.digest == moved)
        #expect(upstream.counts.manifestGets == 1)
        #expect(try await get("v1").manifest.digest == moved)
    }

    @Test func onlyAnIndexTheClientCannotTakeNeedsAGet() async throws {
        let platform = upstream.addManifest(Array(#"{"schemaVersion":2,"amd64":1}"#.utf8), mediaType: MediaType.ociManifest, repository: "team/app")
        let index = #"{"schemaVersion":2,"manifests":[{"mediaType":"\#(MediaType.ociManifest)","digest":"\#(platform)","size":28,"platform":{"os":"linux","architecture":"amd64"}}]}"#
        upstream.addManifest(Array(index.utf8), mediaType: MediaType.ociIndex, repository: "team/app", tag: "multi")
        #expect(try await head("multi")?.mediaType == MediaType.ociIndex, "a client that takes the index")
        #expect(try await head("multi", accept: [MediaType.ociManifest]) == nil, "the platform's manifest needs the index's body")
        _ = try await get("multi", accept: [MediaType.ociManifest])
        #expect(try await head("multi", accept: [MediaType.ociManifest])?.digest == platform, "once cached, answered from the cache")
    }
}
