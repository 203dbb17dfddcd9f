import Logging
import NIOCore
import OCI
import Synchronization

/// Blobs by digest: served from `FileSystemBlobStore` when cached, otherwise fetched
/// from the upstream exactly once per digest, however many clients ask at once and from
/// whichever repository. Every client streams the download as it arrives by reading the
/// temporary file along; the file is published only after its size and digest are
/// verified, and a mismatch is discarded and reported to every reader.
///
/// Downloads run in `run()`'s task group, not in the requesting task, so a client that
/// disconnects does not abort the download for the others; once every client has left,
/// the download stops at its next chunk (nobody would receive the rest). A `Range` of a
/// blob nobody is downloading is relayed from the upstream's own range and starts no
/// download: neither a 1-byte range nor a client that hangs up after the head makes
/// Ferry fetch a whole blob.
public final class PullThroughBlobCache: Sendable {
    /// Disk writes are coalesced to at least this many bytes ...
    static let flushThreshold = 1 << 20
    /// ... unless bytes have waited this long, so slow upstreams still stream promptly,
    static let flushInterval = Duration.milliseconds(20)
    /// ... and the first bytes are written as they come, for a quick first byte.
    static let unbufferedPrefix: Int64 = 1 << 20

    public let store: FileSystemBlobStore
    let fills = Mutex<[Digest: BlobFill]>([:])
    let jobs: AsyncStream<FillJob>
    let jobSink: AsyncStream<FillJob>.Continuation
    let logger: Logger
    /// Told how many bytes each successful download fetched from which upstream.
    let fetched: @Sendable (_ upstream: String, _ bytes: Int64) -> Void
    /// Keeps the cache within its budget; nil means no budget.
    public let evictor: CacheEvictor?
    /// Told about every hit (access times, leases) and commit; the evictor's when it has one.
    public let inventory: CacheInventory?
    /// The second level shared by every server; nil keeps blobs on the local disk only.
    public let shared: SharedStorage?

    struct FillJob: Sendable {
        let fill: BlobFill
        let repository: RepositoryName
        let upstream: any Upstream
    }

    /// Creates a cache over `store`; downloads start only while `run()` runs.
    public init(
        store: FileSystemBlobStore,
        logger: Logger,
        inventory: CacheInventory? = nil,
        evictor: CacheEvictor? = nil,
        shared: SharedStorage? = nil,
        fetched: @escaping @Sendable (_ upstream: String, _ bytes: Int64) -> Void = { _, _ in }
    ) {
        self.shared = shared
        self.store = store
        self.logger = logger
        self.evictor = evictor
        self.inventory = inventory ?? evictor?.inventory
        self.fetched = fetched
        (jobs, jobSink) = AsyncStream.makeStream(of: FillJob.self)
    }

    /// Runs downloads until cancelled or `finish()` is called; in-flight downloads
    /// complete before it returns unless cancelled.
    public func run() async {
        await withDiscardingTaskGroup { group in
            for await job in jobs {
                group.addTask { await self.fill(job) }
            }
        }
    }

    /// Stops accepting new downloads; `run()` returns once the running ones end.
    public func finish() {
        jobSink.finish()
    }

    /// Number of downloads under way.
    public var activeDownloads: Int { fills.withLock { $0.count } }

    /// Clients waiting on the download of `digest` right now (for tests and metrics).
    public func waitingReaders(on digest: Digest) -> Int {
        fills.withLock { $0[digest] }?.progress.waitingReaders ?? 0
    }

    /// A blob's bytes (or the requested range of them) from the cache or the upstream.
    public func blob(
        _ digest: Digest,
        repository: RepositoryName,
        upstream: any Upstream,
        range: ByteRange?
    ) async throws(CacheError) -> BlobResponse {
        while true {
            if let response = try cachedBlob(digest, range: range) { return response }
            if !store.space.hasRoom(for: 0) {
                return try await uncachedBlob(digest, repository: repository, upstream: upstream, range: range)
            }
            if let range, !isBeingFilled(digest) {
                if let partial = try await partialFromShared(digest, range: range) { return partial }
                if let partial = try await partialFromUpstream(digest, repository: repository, upstream: upstream, range: range) { return partial }
            }
            let joined: (BlobFill, FillReader, started: Bool)?
            do {
                joined = try joinOrStartFill(digest, repository: repository, upstream: upstream)
            } catch let error where error.kind == .diskFull {
                return try await uncachedBlob(digest, repository: repository, upstream: upstream, range: range)
            }
            guard let (fill, reader, started) = joined else {
                continue // it was committed meanwhile: serve it from disk
            }
            let expectedSize: Int64?
            do {
                expectedSize = try await fill.progress.waitForHead()
            } catch let error as CacheError {
                // The download stopped writing before this client got a byte: stream on its own.
                if error.kind == .diskFull {
                    return try await uncachedBlob(digest, repository: repository, upstream: upstream, range: range)
                }
                // "Not there" from the first client's repository (or upstream) says nothing
                // about this client's: ask for its own.
                if error.isNotFound, !fill.serves(repository, from: upstream) { continue }
                throw error
            } catch {
                throw CacheError(.unavailable, "request cancelled")
            }
            var span: ClosedRange<Int64>?
            if let range, let expectedSize {
                guard let resolved = range.resolve(size: expectedSize) else {
                    throw CacheError(.rangeNotSatisfiable(size: expectedSize), "range not satisfiable for a blob of \(expectedSize) bytes")
                }
                span = resolved
            }
            let body = BlobBody(source: .fill(fill), start: span?.lowerBound ?? 0, end: span?.upperBound, lease: nil, reader: reader)
            return BlobResponse(digest: digest, size: expectedSize, range: span, source: started ? fill.origin : .coalesced, body: body)
        }
    }

    /// The size of a blob, without downloading it: from disk, from a download under way,
    /// or from the upstream's answer to HEAD.
    public func blobSize(_ digest: Digest, repository: RepositoryName, upstream: any Upstream) async throws(CacheError) -> (size: Int64?, source: CacheSource) {
        if let file = try openCached(digest) {
            return (try fileSize(file, digest), .hit)
        }
        if let fill = fills.withLock({ $0[digest] }), case .streaming(let expected?, _) = fill.progress.snapshot().phase {
            return (expected, .coalesced)
        }
        do {
            return (try await upstream.blobSize(repository, digest: digest), .miss)
        } catch {
            throw CacheError(error, notFound: .blobUnknown, upstream: upstream.configuration.registry)
        }
    }

    /// The blob (or the requested range of it) straight from the upstream, not cached
    /// (the disk is full). A whole body is verified as it streams; a range needs the
    /// size first, from the upstream's HEAD.
    private func uncachedBlob(_ digest: Digest, repository: RepositoryName, upstream: any Upstream, range: ByteRange?) async throws(CacheError) -> BlobResponse {
        logger.warning("cache disk full: serving a blob without caching it", metadata: ["digest": "\(digest)", "free": "\(store.space.freeBytes)"])
        let registry = upstream.configuration.registry
        var span: ClosedRange<Int64>?
        var size: Int64?
        do {
            if let range, let known = try await upstream.blobSize(repository, digest: digest) {
                guard let resolved = range.resolve(size: known) else {
                    throw CacheError(.rangeNotSatisfiable(size: known), "range not satisfiable for a blob of \(known) bytes")
                }
                span = resolved
                size = known
            }
            let start = span?.lowerBound ?? 0
            let blob = try await upstream.blob(repository, digest: digest, from: start, through: span?.upperBound)
            if size == nil, blob.offset == 0 { size = blob.contentLength }
            let reader = UpstreamReader(blob, from: start, digest: digest, partial: span != nil)
            let body = BlobBody(source: .upstream(reader), start: start, end: span?.upperBound, lease: nil)
            return BlobResponse(digest: digest, size: size, range: span, source: .miss, body: body)
        } catch let error as CacheError {
            throw error
        } catch let error as UpstreamError {
            throw CacheError(error, notFound: .blobUnknown, upstream: registry)
        } catch {
            throw CacheError(.unavailable, "upstream \(registry) is unreachable")
        }
    }

    /// Whether a download of `digest` is under way (one that clients still read).
    func isBeingFilled(_ digest: Digest) -> Bool {
        fills.withLock { $0[digest].map { !$0.isAbandoned } ?? false }
    }

    /// A range of a blob only the shared store holds, read from it (the blob is copied
    /// to the local disk when a client asks for all of it); nil when the shared store
    /// does not hold it, cannot be read, or the range covers the whole blob.
    func partialFromShared(_ digest: Digest, range: ByteRange) async throws(CacheError) -> BlobResponse? {
        guard let shared, let size = await shared.size(of: digest) else { return nil }
        guard let span = range.resolve(size: size) else {
            throw CacheError(.rangeNotSatisfiable(size: size), "range not satisfiable for a blob of \(size) bytes")
        }
        if span.lowerBound == 0, span.upperBound == size - 1 { return nil }
        do {
            guard let chunks = try await shared.store.read(digest, range: span) else { return nil }
            shared.noteAccess(digest)
            let body = BlobBody(source: .shared(chunks), start: span.lowerBound, end: span.upperBound, lease: nil)
            return BlobResponse(digest: digest, size: size, range: span, source: .shared, body: body)
        } catch {
            shared.failed()
            logger.warning("shared store unavailable for a range; asking the upstream", metadata: ["digest": "\(digest)", "error": "\(error)"])
            return nil
        }
    }

    /// A range of a blob that is neither cached nor being downloaded, relayed from the
    /// upstream's own range, unverified (a digest covers whole blobs) and not cached; nil
    /// when the range covers the whole blob, which is then downloaded and cached as for
    /// a plain GET.
    private func partialFromUpstream(_ digest: Digest, repository: RepositoryName, upstream: any Upstream, range: ByteRange) async throws(CacheError) -> BlobResponse? {
        let registry = upstream.configuration.registry
        do {
            guard let size = try await upstream.blobSize(repository, digest: digest) else { return nil }
            guard let span = range.resolve(size: size) else {
                throw CacheError(.rangeNotSatisfiable(size: size), "range not satisfiable for a blob of \(size) bytes")
            }
            if span.lowerBound == 0, span.upperBound == size - 1 { return nil }
            let blob = try await upstream.blob(repository, digest: digest, from: span.lowerBound, through: span.upperBound)
            let reader = UpstreamReader(blob, from: span.lowerBound, digest: digest, partial: true)
            let body = BlobBody(source: .upstream(reader), start: span.lowerBound, end: span.upperBound, lease: nil)
            return BlobResponse(digest: digest, size: size, range: span, source: .miss, body: body)
        } catch let error as CacheError {
            throw error
        } catch let error as UpstreamError {
            throw CacheError(error, notFound: .blobUnknown, upstream: registry)
        } catch {
            throw CacheError(.unavailable, "upstream \(registry) is unreachable")
        }
    }

    // MARK: - Hits

    func cachedBlob(_ digest: Digest, range: ByteRange?) throws(CacheError) -> BlobResponse? {
        guard let file = try openCached(digest) else { return nil }
        let size = try fileSize(file, digest)
        var span: ClosedRange<Int64>?
        if let range {
            guard let resolved = range.resolve(size: size) else {
                throw CacheError(.rangeNotSatisfiable(size: size), "range not satisfiable for a blob of \(size) bytes")
            }
            span = resolved
        }
        let body = BlobBody(source: .file(file, size: size), start: span?.lowerBound ?? 0, end: span?.upperBound, lease: inventory?.lease(digest))
        shared?.noteAccess(digest)
        return BlobResponse(digest: digest, size: size, range: span, source: .hit, body: body)
    }

    func openCached(_ digest: Digest) throws(CacheError) -> BlobFile? {
        do {
            return try store.open(digest)
        } catch {
            logger.error("cannot open cached blob", metadata: ["digest": "\(digest)", "error": "\(error)"])
            throw CacheError(.unavailable, "cache storage error")
        }
    }

    func fileSize(_ file: BlobFile, _ digest: Digest) throws(CacheError) -> Int64 {
        do {
            return try file.size()
        } catch {
            logger.error("cannot stat cached blob", metadata: ["digest": "\(digest)", "error": "\(error)"])
            throw CacheError(.unavailable, "cache storage error")
        }
    }
}

extension Duration {
    /// Whole milliseconds, for log lines.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
