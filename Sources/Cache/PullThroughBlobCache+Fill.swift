import Logging
import NIOCore
import OCI

/// Misses: one download per digest, from the shared store when it holds the blob, else
/// from the upstream (uploading to the shared store along the way), written to a
/// temporary file every client reads along, verified, then published.
extension PullThroughBlobCache {

    /// Returns the download for `digest`, starting one when none runs; nil when the blob
    /// was committed in the meantime.
    func joinOrStartFill(
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

    func fill(_ job: FillJob) async {
        let fill = job.fill
        let upstreamName = job.upstream.configuration.registry
        var logger = self.logger
        logger[metadataKey: "digest"] = "\(fill.digest)"
        logger[metadataKey: "upstream"] = "\(upstreamName)"
        logger[metadataKey: "repo"] = "\(job.repository)"
        let started = ContinuousClock.now
        // The shared store, when it holds the blob; else the upstream, with an upload to
        // the shared store as the bytes arrive.
        let sharedBlob = await shared?.open(fill.digest)
        let sharedSize = sharedBlob?.size
        fill.origin = sharedBlob == nil ? .miss : .shared
        let upload = sharedBlob == nil ? await shared?.startUpload(fill.digest, path: fill.temporaryPath) : nil
        await withDiscardingTaskGroup { group in
            if let upload { group.addTask { await upload.run() } }
            do {
                let (size, uploaded) = try await download(job, sharedBlob: sharedBlob, upload: upload, logger: logger)
                forget(fill)
                fill.progress.update(.committed(size: size))
                if sharedSize == nil { fetched(upstreamName, size) }
                if uploaded { await shared?.recordStored(fill.digest, size: size) }
                if sharedSize != nil { shared?.noteAccess(fill.digest) }
                await inventory?.committed(.blob(fill.digest), size: size)
                // Under budget, the periodic pass (CacheInventoryService) writes the access
                // times; only a commit that takes the cache over budget evicts at once.
                if let evictor, evictor.inventory.totalBytes > evictor.budget { await evictor.evict() }
                logger.info("blob cached", metadata: [
                    "bytes": "\(size)", "ms": "\((ContinuousClock.now - started).milliseconds)", "from": "\(fill.origin)", "shared": "\(uploaded || sharedSize != nil)",
                ])
            } catch {
                upload?.abort()
                store.discard(temporaryPath: fill.temporaryPath)
                forget(fill)
                failed(fill, error: error, upstream: upstreamName, fromShared: sharedSize != nil, logger: logger)
                // Bad bytes in the shared store: drop them, so the next request refetches.
                if sharedSize != nil, (error as? CacheError)?.kind == .digestMismatch { await shared?.discard(fill.digest) }
            }
        }
    }

    /// Tells the readers why a download failed, and logs it.
    private func failed(_ fill: BlobFill, error: any Error, upstream: String, fromShared: Bool, logger: Logger) {
        let clientError: CacheError
        switch error {
        case let error as CacheError: clientError = error
        case let error as UpstreamError: clientError = CacheError(error, notFound: .blobUnknown, upstream: upstream)
        case let error as FileSystemError where error.isOutOfSpace: clientError = CacheError(.diskFull, "cache disk is full")
        case is CancellationError: clientError = CacheError(.unavailable, "download cancelled: server shutting down")
        default: clientError = CacheError(.unavailable, fromShared ? "shared blob store error" : "cache storage error")
        }
        fill.progress.update(.failed(clientError))
        if fill.isAbandoned {
            logger.info("blob download stopped: every client left", metadata: ["bytes": "\(fill.progress.visibleBytes)"])
        } else if clientError.kind == .diskFull {
            logger.warning("cache disk full: serving the blob from the upstream without caching it", metadata: ["free": "\(store.space.freeBytes)"])
        } else {
            if fromShared { shared?.failed() }
            logger.warning("blob download failed", metadata: ["error": "\(error)", "from": "\(fromShared ? "shared" : "upstream")"])
        }
    }

    /// Removes `fill` from the downloads under way (unless a newer one replaced it).
    func forget(_ fill: BlobFill) {
        fills.withLock { fills in
            if fills[fill.digest] === fill { fills[fill.digest] = nil }
        }
    }

    /// Writes to the temporary file unless the disk is (nearly) full; then the download
    /// stops with `diskFull` and its readers continue straight from the upstream.
    func write(_ buffers: [ByteBuffer], to fill: BlobFill, at offset: Int64) async throws {
        guard store.space.hasRoom(for: Int64(buffers.reduce(0) { $0 + $1.readableBytes })) else {
            throw CacheError(.diskFull, "cache disk is full")
        }
        do {
            try await fill.file.write(buffers, at: offset)
        } catch let error as FileSystemError where error.isOutOfSpace {
            throw CacheError(.diskFull, "cache disk is full")
        }
    }

    /// Streams the blob (`sharedBlob` when the shared store holds it, else from the
    /// upstream) into the temporary file, publishing progress and handing the file's
    /// growth to `upload`, then verifies it, completes the upload and commits the file.
    /// Returns the size, and whether the upload completed.
    func download(
        _ job: FillJob, sharedBlob: (size: Int64, chunks: BlobChunks)?, upload: SharedUpload?, logger: Logger
    ) async throws -> (size: Int64, uploaded: Bool) {
        let fill = job.fill
        let body: any AsyncSequence<ByteBuffer, any Error> & Sendable
        let expected: Int64?
        if let sharedBlob {
            (body, expected) = (sharedBlob.chunks, sharedBlob.size)
        } else {
            let upstreamBlob = try await job.upstream.blob(job.repository, digest: fill.digest, from: 0)
            (body, expected) = (upstreamBlob.body, upstreamBlob.contentLength)
        }
        fill.progress.update(.streaming(expectedSize: expected, visibleBytes: 0))

        // The chunks are hashed as they arrive and written in batches, one batch in
        // flight while the next is received and hashed; a batch's bytes are shown to
        // readers (and to the upload) as soon as they are in the file.
        var hasher = DigestHasher(fill.digest.algorithm)
        var batch: [ByteBuffer] = []
        var batchBytes = 0
        var received: Int64 = 0
        var queued: Int64 = 0
        var lastFlush = ContinuousClock.now
        let published = { @Sendable (end: Int64) in
            upload?.written(end)
            // The last byte stays hidden until the digest is verified, so no client ever
            // receives a complete body of bad data.
            fill.progress.update(.streaming(expectedSize: expected, visibleBytes: max(0, end - 1)))
        }
        try await withThrowingTaskGroup(of: Void.self) { writes in
            var writing = false
            for try await chunk in body {
                if fill.isAbandoned { throw CacheError(.unavailable, "download abandoned: every client left") }
                hasher.update(chunk)
                received += Int64(chunk.readableBytes)
                if let expected, received > expected {
                    throw CacheError(.digestMismatch, "more bytes than announced")
                }
                batch.append(chunk)
                batchBytes += chunk.readableBytes
                let now = ContinuousClock.now
                guard batchBytes >= Self.flushThreshold || queued < Self.unbufferedPrefix || now - lastFlush >= Self.flushInterval else { continue }
                if writing { _ = try await writes.next() }
                let (buffers, offset, end) = (batch, queued, queued + Int64(batchBytes))
                writes.addTask {
                    try await self.write(buffers, to: fill, at: offset)
                    published(end)
                }
                writing = true
                queued = end
                batch.removeAll(keepingCapacity: true)
                batchBytes = 0
                lastFlush = now
            }
            try await writes.waitForAll()
        }
        if !batch.isEmpty {
            try await write(batch, to: fill, at: queued)
            queued += Int64(batchBytes)
        }
        let written = queued
        if let expected, written != expected {
            throw CacheError(.digestMismatch, "received \(written) of \(expected) bytes")
        }
        let actual = hasher.finalize()
        guard actual == fill.digest else {
            logger.error("blob digest mismatch; discarded", metadata: ["computed": "\(actual)", "bytes": "\(written)"])
            throw CacheError(.digestMismatch, "content does not match digest \(fill.digest)")
        }
        // Verified: readers may have the last byte now, not after the upload and the
        // fsync (which can take seconds for a large blob); the file is published only
        // once it is durable, and the shared copy becomes visible only now.
        fill.progress.update(.streaming(expectedSize: written, visibleBytes: written))
        var uploaded = false
        if let upload {
            do {
                try await upload.complete(size: written)
                uploaded = true
            } catch {
                shared?.failed()
                logger.warning("upload to the shared store failed; cached on the local disk only", metadata: ["error": "\(error)"])
            }
        }
        try await fill.file.synchronize()
        try store.commit(temporaryPath: fill.temporaryPath, as: fill.digest)
        return (written, uploaded)
    }
}
