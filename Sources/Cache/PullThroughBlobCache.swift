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
    private let fills = Mutex<[Digest: BlobFill]>([:])
    private let jobs: AsyncStream<FillJob>
    private let jobSink: AsyncStream<FillJob>.Continuation
    private let logger: Logger
    /// Told how many bytes each successful download fetched from which upstream.
    private let fetched: @Sendable (_ upstream: String, _ bytes: Int64) -> Void
    /// Keeps the cache within its budget; nil means no budget.
    public let evictor: CacheEvictor?
    /// Told about every hit (access times, leases) and commit; the evictor's when it has one.
    public let inventory: CacheInventory?

    private struct FillJob: Sendable {
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
        fetched: @escaping @Sendable (_ upstream: String, _ bytes: Int64) -> Void = { _, _ in }
    ) {
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
            if let range, !isBeingFilled(digest), let partial = try await partialFromUpstream(digest, repository: repository, upstream: upstream, range: range) {
                return partial
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
            return BlobResponse(digest: digest, size: expectedSize, range: span, source: started ? .miss : .coalesced, body: body)
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
    private func isBeingFilled(_ digest: Digest) -> Bool {
        fills.withLock { $0[digest].map { !$0.isAbandoned } ?? false }
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

    private func cachedBlob(_ digest: Digest, range: ByteRange?) throws(CacheError) -> BlobResponse? {
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
        return BlobResponse(digest: digest, size: size, range: span, source: .hit, body: body)
    }

    private func openCached(_ digest: Digest) throws(CacheError) -> BlobFile? {
        do {
            return try store.open(digest)
        } catch {
            logger.error("cannot open cached blob", metadata: ["digest": "\(digest)", "error": "\(error)"])
            throw CacheError(.unavailable, "cache storage error")
        }
    }

    private func fileSize(_ file: BlobFile, _ digest: Digest) throws(CacheError) -> Int64 {
        do {
            return try file.size()
        } catch {
            logger.error("cannot stat cached blob", metadata: ["digest": "\(digest)", "error": "\(error)"])
            throw CacheError(.unavailable, "cache storage error")
        }
    }

    // MARK: - Misses

    /// Returns the download for `digest`, starting one when none runs; nil when the blob
    /// was committed in the meantime.
    private func joinOrStartFill(
        _ digest: Digest,
        repository: RepositoryName,
        upstream: any Upstream
    ) throws(CacheError) -> (BlobFill, FillReader, started: Bool)? {
        let result: Result<(BlobFill, FillReader, Bool)?, CacheError> = fills.withLock { fills in
            // An abandoned download (every client left) is replaced by a new one.
            if let fill = fills[digest], let reader = fill.join() {
                return .success((fill, reader, false))
            }
            if store.contains(digest) { return .success(nil) }
            do {
                let (file, path) = try store.makeTemporaryFile(for: digest)
                let fill = BlobFill(digest: digest, file: file, temporaryPath: path, repository: repository, upstream: upstream)
                let reader = fill.join()!  // a new download has no one to be abandoned by yet
                fills[digest] = fill
                if case .terminated = jobSink.yield(FillJob(fill: fill, repository: repository, upstream: upstream)) {
                    fills[digest] = nil
                    store.discard(temporaryPath: path)
                    return .failure(CacheError(.unavailable, "server is shutting down"))
                }
                return .success((fill, reader, true))
            } catch let error as FileSystemError where error.isOutOfSpace {
                return .failure(CacheError(.diskFull, "cache disk is full"))
            } catch {
                logger.error("cannot create temporary blob file", metadata: ["digest": "\(digest)", "error": "\(error)"])
                return .failure(CacheError(.unavailable, "cache storage error"))
            }
        }
        return try result.get()
    }

    private func fill(_ job: FillJob) async {
        let fill = job.fill
        let upstreamName = job.upstream.configuration.registry
        var logger = self.logger
        logger[metadataKey: "digest"] = "\(fill.digest)"
        logger[metadataKey: "upstream"] = "\(upstreamName)"
        logger[metadataKey: "repo"] = "\(job.repository)"
        let started = ContinuousClock.now
        do {
            let size = try await download(job, logger: logger)
            forget(fill)
            fill.progress.update(.committed(size: size))
            fetched(upstreamName, size)
            await inventory?.committed(.blob(fill.digest), size: size)
            // Under budget, the periodic pass (CacheInventoryService) writes the access
            // times; only a commit that takes the cache over budget evicts at once.
            if let evictor, evictor.inventory.totalBytes > evictor.budget { await evictor.evict() }
            logger.info("blob cached", metadata: ["bytes": "\(size)", "ms": "\((ContinuousClock.now - started).milliseconds)"])
        } catch {
            store.discard(temporaryPath: fill.temporaryPath)
            forget(fill)
            let clientError: CacheError
            switch error {
            case let error as CacheError: clientError = error
            case let error as UpstreamError: clientError = CacheError(error, notFound: .blobUnknown, upstream: upstreamName)
            case let error as FileSystemError where error.isOutOfSpace: clientError = CacheError(.diskFull, "cache disk is full")
            case is CancellationError: clientError = CacheError(.unavailable, "download cancelled: server shutting down")
            default: clientError = CacheError(.unavailable, "cache storage error")
            }
            fill.progress.update(.failed(clientError))
            if fill.isAbandoned {
                logger.info("blob download stopped: every client left", metadata: ["bytes": "\(fill.progress.visibleBytes)"])
            } else if clientError.kind == .diskFull {
                logger.warning("cache disk full: serving the blob from the upstream without caching it", metadata: ["free": "\(store.space.freeBytes)"])
            } else {
                logger.warning("blob download failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Removes `fill` from the downloads under way (unless a newer one replaced it).
    private func forget(_ fill: BlobFill) {
        fills.withLock { fills in
            if fills[fill.digest] === fill { fills[fill.digest] = nil }
        }
    }

    /// Writes to the temporary file unless the disk is (nearly) full; then the download
    /// stops with `diskFull` and its readers continue straight from the upstream.
    private func write(_ buffer: ByteBuffer, to fill: BlobFill, at offset: Int64) async throws {
        guard store.space.hasRoom(for: Int64(buffer.readableBytes)) else {
            throw CacheError(.diskFull, "cache disk is full")
        }
        do {
            try await fill.file.write(buffer, at: offset)
        } catch let error as FileSystemError where error.isOutOfSpace {
            throw CacheError(.diskFull, "cache disk is full")
        }
    }

    /// Streams the upstream body into the temporary file, publishing progress, then
    /// verifies and commits it. Returns the committed size.
    private func download(_ job: FillJob, logger: Logger) async throws -> Int64 {
        let fill = job.fill
        let upstreamBlob = try await job.upstream.blob(job.repository, digest: fill.digest, from: 0)
        let expected = upstreamBlob.contentLength
        fill.progress.update(.streaming(expectedSize: expected, visibleBytes: 0))

        var hasher = DigestHasher(fill.digest.algorithm)
        var pending = ByteBufferAllocator().buffer(capacity: Self.flushThreshold + 256 * 1024)
        var written: Int64 = 0
        var lastFlush = ContinuousClock.now
        for try await chunk in upstreamBlob.body {
            if fill.isAbandoned { throw CacheError(.unavailable, "download abandoned: every client left") }
            hasher.update(chunk)
            var chunk = chunk
            pending.writeBuffer(&chunk)
            if let expected, written + Int64(pending.readableBytes) > expected {
                throw CacheError(.digestMismatch, "upstream sent more bytes than announced")
            }
            let now = ContinuousClock.now
            if pending.readableBytes >= Self.flushThreshold || written < Self.unbufferedPrefix || now - lastFlush >= Self.flushInterval {
                try await write(pending, to: fill, at: written)
                written += Int64(pending.readableBytes)
                pending.clear()  // the write has released it, so its storage is reused
                lastFlush = now
                // The last byte stays hidden until the digest is verified, so no client
                // ever receives a complete body of bad data.
                fill.progress.update(.streaming(expectedSize: expected, visibleBytes: max(0, written - 1)))
            }
        }
        if pending.readableBytes > 0 {
            try await write(pending, to: fill, at: written)
            written += Int64(pending.readableBytes)
        }
        if let expected, written != expected {
            throw CacheError(.digestMismatch, "upstream sent \(written) of \(expected) bytes")
        }
        let actual = hasher.finalize()
        guard actual == fill.digest else {
            logger.error("upstream blob digest mismatch; discarded", metadata: ["computed": "\(actual)", "bytes": "\(written)"])
            throw CacheError(.digestMismatch, "upstream content does not match digest \(fill.digest)")
        }
        // Verified: readers may have the last byte now, not after the fsync (which can
        // take seconds for a large blob); the file is published only once it is durable.
        fill.progress.update(.streaming(expectedSize: written, visibleBytes: written))
        try await fill.file.synchronize()
        try store.commit(temporaryPath: fill.temporaryPath, as: fill.digest)
        return written
    }
}

extension Duration {
    /// Whole milliseconds, for log lines.
    public var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
