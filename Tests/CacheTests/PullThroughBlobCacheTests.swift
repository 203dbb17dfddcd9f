import Cache
import FerryTestSupport
import Foundation
import OCI
import Testing

@Suite struct PullThroughBlobCacheTests {
    @Test func missFetchesVerifiesAndCommitsThenHitsFromDisk() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 3 << 20, seed: 1)
        let digest = upstream.addBlob(bytes)
        let root = makeDataDirectory()
        try await withBlobCache(root: root) { cache in
            let first = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(first.source == .miss)
            #expect(first.size == Int64(bytes.count))
            #expect(try await collect(first.body) == bytes)
            // The body ends once every byte is verified; the commit (fsync, rename) follows.
            while cache.activeDownloads > 0 { await Task.yield() }

            let second = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(second.source == .hit)
            #expect(try await collect(second.body) == bytes)
        }
        #expect(upstream.counts.blobGets == 1)
        #expect(FileManager.default.fileExists(atPath: try FileSystemBlobStore(root: root).path(for: digest)))
        #expect(temporaryFiles(in: root).isEmpty)
    }

    @Test func sixteenConcurrentMissesMakeOneUpstreamFetch() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 5 << 20, seed: 2)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        try await withBlobCache { cache in
            let bodies = try await withThrowingTaskGroup(of: (CacheSource, [UInt8]).self) { group in
                for index in 0..<16 {
                    group.addTask {
                        let repository = try RepositoryName(parsing: "repo\(index % 3)")
                        let response = try await cache.blob(digest, repository: repository, upstream: upstream, range: nil)
                        return (response.source, try await collect(response.body))
                    }
                }
                // Every client is waiting on the held download before it may finish.
                while cache.activeDownloads == 0 { await Task.yield() }
                gate.open()
                var results: [(CacheSource, [UInt8])] = []
                for try await result in group { results.append(result) }
                return results
            }
            #expect(bodies.count == 16)
            #expect(bodies.allSatisfy { sha256Digest($0.1) == digest })
            #expect(bodies.filter { $0.0 == .miss }.count <= 1)
        }
        #expect(upstream.counts.blobGets == 1)
    }

    @Test func readersReceiveBytesBeforeTheDownloadEnds() async throws {
        let upstream = InMemoryUpstream(chunkSize: 256 * 1024)
        let bytes = seededBytes(count: 2 << 20, seed: 3)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        try await withBlobCache { cache in
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            var iterator = response.body.makeAsyncIterator()
            // The upstream has sent only its first chunk and is held: bytes still arrive.
            let first = try #require(try await iterator.next())
            #expect(first.readableBytes > 0)
            #expect(Array(first.readableBytesView) == Array(bytes.prefix(first.readableBytes)))
            gate.open()
            var received = Array(first.readableBytesView)
            while let chunk = try await iterator.next() { received.append(contentsOf: chunk.readableBytesView) }
            #expect(received == bytes)
        }
    }

    @Test func corruptedUpstreamBlobIsDiscardedAndReportedToEveryReader() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 1 << 20, seed: 4)
        let digest = upstream.addBlob(bytes)
        upstream.corrupt(digest)
        let root = makeDataDirectory()
        try await withBlobCache(root: root) { cache in
            // The download may fail before the answer or while the body streams.
            await #expect(throws: CacheError.self) {
                let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
                _ = try await collect(response.body)
            }
            let error = try await #require(throws: CacheError.self) {
                let again = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
                _ = try await collect(again.body)
            }
            #expect(error.kind == .digestMismatch)
        }
        #expect(try FileSystemBlobStore(root: root).contains(digest) == false)
        #expect(temporaryFiles(in: root).isEmpty)
        #expect(upstream.counts.blobGets == 2)
    }

    @Test func aReaderNeverReceivesTheWholeOfACorruptBlob() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 300_000, seed: 5)
        let digest = upstream.addBlob(bytes)
        upstream.corrupt(digest)
        try await withBlobCache { cache in
            // The download may fail before the answer (a fast upstream) or while the body
            // streams: either way the client never gets the whole body.
            var received = 0
            do {
                let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
                for try await chunk in response.body { received += chunk.readableBytes }
                Issue.record("body completed despite a digest mismatch")
            } catch let error as CacheError {
                #expect(error.kind == .digestMismatch)
                #expect(received < bytes.count)
            }
        }
    }

    @Test func aClientThatGoesAwayDoesNotAbortTheDownloadForTheOthers() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 2 << 20, seed: 6)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        let root = makeDataDirectory()
        try await withBlobCache(root: root) { cache in
            let leaving = Task {
                let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
                return try await collect(response.body)
            }
            while cache.activeDownloads == 0 { await Task.yield() }
            let staying = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(staying.source == .coalesced)
            leaving.cancel()
            _ = await leaving.result
            gate.open()
            #expect(try await collect(staying.body) == bytes)
            while cache.activeDownloads > 0 { await Task.yield() }
            let hit = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(hit.source == .hit)
            #expect(try await collect(hit.body) == bytes)
        }
        #expect(upstream.counts.blobGets == 1)
    }

    /// Review S3: a download every client left stops at its next chunk instead of
    /// fetching the rest of the blob for nobody; the next client starts a new one.
    @Test func aDownloadEveryClientLeftStopsAtItsNextChunk() async throws {
        let upstream = InMemoryUpstream(chunkSize: 64 << 10)
        let bytes = seededBytes(count: 8 << 20, seed: 16)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        let root = makeDataDirectory()
        try await withBlobCache(root: root) { cache in
            var response: BlobResponse? = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(response?.source == .miss)
            response = nil  // the client hung up after the head
            gate.open()
            while cache.activeDownloads > 0 { await Task.yield() }
            #expect(upstream.bytesSent <= 2 * (64 << 10), "\(upstream.bytesSent) bytes fetched for nobody")
            #expect(temporaryFiles(in: root).isEmpty)
            let again = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(again.source == .miss)
            #expect(try await collect(again.body) == bytes)
        }
        #expect(upstream.counts.blobGets == 2)
    }

    /// Review S3: a 1-byte range of a cold blob costs the upstream one byte, and starts
    /// no download of the whole blob.
    @Test func aRangeOfAColdBlobIsRelayedFromTheUpstreamsRange() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 8 << 20, seed: 17)
        let digest = upstream.addBlob(bytes)
        try await withBlobCache { cache in
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 0, end: 0))
            #expect(response.range == 0...0 && response.size == Int64(bytes.count))
            #expect(try await collect(response.body) == [bytes[0]])
            #expect(cache.activeDownloads == 0)
            #expect(upstream.bytesSent == 1)
            // A range covering the whole blob is a plain download, and cached.
            let whole = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 0, end: nil))
            #expect(try await collect(whole.body) == bytes)
            while cache.activeDownloads > 0 { await Task.yield() }
            #expect(try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 5, end: 9)).source == .hit)
        }
    }

    @Test func rangesOnHitsAndMisses() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 100_000, seed: 7)
        let digest = upstream.addBlob(bytes)
        try await withBlobCache { cache in
            let miss = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 10, end: 19))
            #expect(miss.range == 10...19 && miss.source == .miss)
            #expect(try await collect(miss.body) == Array(bytes[10...19]))
            _ = try await collect(try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil).body)
            while cache.activeDownloads > 0 { await Task.yield() }

            let suffix = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .suffix(count: 5))
            #expect(suffix.source == .hit)
            #expect(suffix.range == 99_995...99_999)
            #expect(try await collect(suffix.body) == Array(bytes.suffix(5)))

            let open = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 99_000, end: nil))
            #expect(try await collect(open.body) == Array(bytes[99_000...]))

            let error = try await #require(throws: CacheError.self) {
                _ = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 100_000, end: nil))
            }
            #expect(error.kind == .rangeNotSatisfiable(size: 100_000))
        }
    }

    @Test func unknownBlobAndUnreachableUpstream() async throws {
        let upstream = InMemoryUpstream()
        let missing = sha256Digest([1, 2, 3])
        try await withBlobCache { cache in
            let unknown = try await #require(throws: CacheError.self) {
                _ = try await cache.blob(missing, repository: testRepository, upstream: upstream, range: nil)
            }
            #expect(unknown.kind == .blobUnknown)
            upstream.fail(with: .unreachable("connection refused"))
            let down = try await #require(throws: CacheError.self) {
                _ = try await cache.blob(missing, repository: testRepository, upstream: upstream, range: nil)
            }
            #expect(down.kind == .unavailable)
        }
    }

    @Test func leftoverTemporaryFilesAreRemovedAtStartUp() throws {
        let root = makeDataDirectory()
        let store = try FileSystemBlobStore(root: root)
        _ = FileManager.default.createFile(atPath: root + "/tmp/abc.123.partial", contents: Data([1, 2, 3]))
        #expect(try store.removeTemporaryFiles() == 1)
        #expect(temporaryFiles(in: root).isEmpty)
    }
}
