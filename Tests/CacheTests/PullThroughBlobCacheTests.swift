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
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            await #expect(throws: CacheError.self) {
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
            let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            var received = 0
            do {
                for try await chunk in response.body { received += chunk.readableBytes }
                Issue.record("body completed despite a digest mismatch")
            } catch {
                #expect(received < bytes.count)
            }
        }
    }

    @Test func aClientThatGoesAwayDoesNotAbortTheDownload() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 2 << 20, seed: 6)
        let digest = upstream.addBlob(bytes)
        let gate = BlobGate()
        upstream.hold(with: gate)
        let root = makeDataDirectory()
        try await withBlobCache(root: root) { cache in
            let reader = Task {
                let response = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
                return try await collect(response.body)
            }
            while cache.activeDownloads == 0 { await Task.yield() }
            reader.cancel()
            _ = await reader.result
            gate.open()
            while cache.activeDownloads > 0 { await Task.yield() }
            let hit = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: nil)
            #expect(hit.source == .hit)
            #expect(try await collect(hit.body) == bytes)
        }
        #expect(upstream.counts.blobGets == 1)
    }

    @Test func rangesOnHitsAndMisses() async throws {
        let upstream = InMemoryUpstream()
        let bytes = seededBytes(count: 100_000, seed: 7)
        let digest = upstream.addBlob(bytes)
        try await withBlobCache { cache in
            let miss = try await cache.blob(digest, repository: testRepository, upstream: upstream, range: .from(start: 10, end: 19))
            #expect(miss.range == 10...19)
            #expect(try await collect(miss.body) == Array(bytes[10...19]))
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
