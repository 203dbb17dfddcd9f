import Foundation
import Logging
import OCI
import Synchronization

/// The cache's second level: a blob store every server shares (an S3 bucket) and the
/// index of what it holds. The local disk stays the first level: a blob missing there
/// is read from the shared store when it holds it, and fetched from the upstream (and
/// uploaded to the shared store as it downloads) when it does not.
public final class SharedStorage: Sendable {
    public let store: any BlobStore
    public let index: any SharedBlobIndex
    /// Told about every failed request to the shared store (for metrics).
    public let failed: @Sendable () -> Void
    let logger: Logger
    private let accessed = Mutex<Set<Digest>>([])

    /// The second level over `store`, recorded in `index`.
    public init(store: any BlobStore, index: any SharedBlobIndex, logger: Logger, failed: @escaping @Sendable () -> Void = {}) {
        self.store = store
        self.index = index
        self.logger = logger
        self.failed = failed
    }

    /// The size of `digest` in the shared store, or nil when it is not there or the index
    /// cannot be asked (then the upstream is asked, as without a shared store).
    public func size(of digest: Digest) async -> Int64? {
        do {
            return try await index.size(of: digest)
        } catch {
            failed()
            logger.warning("shared blob index unavailable; fetching from the upstream", metadata: ["digest": "\(digest)", "error": "\(error)"])
            return nil
        }
    }

    /// The whole blob from the shared store, or nil when the store does not hold it or
    /// cannot be read now (then the upstream is asked). A blob the index lists but the
    /// store does not hold (deleted by an eviction racing an upload) is forgotten.
    func open(_ digest: Digest) async -> (size: Int64, chunks: BlobChunks)? {
        guard let size = await size(of: digest) else { return nil }
        do {
            guard let chunks = try await store.read(digest, range: nil) else {
                logger.warning("the shared index lists a blob the shared store does not hold; forgetting it", metadata: ["digest": "\(digest)"])
                try? await index.forget(digest)
                return nil
            }
            return (size, chunks)
        } catch {
            failed()
            logger.warning("shared store unavailable; fetching from the upstream", metadata: ["digest": "\(digest)", "error": "\(error)"])
            return nil
        }
    }

    /// Notes that `digest` was served (written to the index by `flushAccesses`).
    public func noteAccess(_ digest: Digest) {
        _ = accessed.withLock { $0.insert(digest) }
    }

    /// Writes the accesses noted since the last call (kept for the next one on failure).
    public func flushAccesses() async {
        let digests = accessed.withLock { accessed in
            defer { accessed.removeAll(keepingCapacity: true) }
            return Array(accessed)
        }
        guard !digests.isEmpty else { return }
        do {
            try await index.recordAccess(digests)
        } catch {
            failed()
            accessed.withLock { $0.formUnion(digests) }
            logger.warning("cannot record shared blob accesses; will retry", metadata: ["count": "\(digests.count)", "error": "\(error)"])
        }
    }

    /// Starts uploading a download of `digest`; nil when the store cannot take it now
    /// (the download then goes to the local disk only).
    func startUpload(_ digest: Digest, path: String) async -> SharedUpload? {
        do {
            return SharedUpload(upload: try await store.startUpload(digest), path: path)
        } catch {
            failed()
            logger.warning("shared store unavailable; caching on the local disk only", metadata: ["digest": "\(digest)", "error": "\(error)"])
            return nil
        }
    }

    /// Records a completed upload.
    func recordStored(_ digest: Digest, size: Int64) async {
        do {
            try await index.recordStored(digest, size: size)
        } catch {
            failed()
            logger.warning("cannot record a blob in the shared index", metadata: ["digest": "\(digest)", "error": "\(error)"])
        }
    }

    /// Drops a blob the store holds bad bytes for (it did not hash to its digest).
    func discard(_ digest: Digest) async {
        do {
            try await index.forget(digest)
            _ = try await store.remove(digest)
        } catch {
            failed()
        }
    }
}

/// A download's upload to the shared store, part by part as the temporary file grows,
/// in a task of its own so the download never waits for the store; made visible only
/// after the download verified the digest (`complete`), dropped otherwise (`abort`).
final class SharedUpload: Sendable {
    private enum Request: Sendable {
        case part(offset: Int64, length: Int64)
        case complete(from: Int64, size: Int64, done: CheckedContinuation<Void, any Error>)
        case abort
    }

    let upload: any BlobUpload
    let path: String
    private let requests: AsyncStream<Request>
    private let sink: AsyncStream<Request>.Continuation
    /// Bytes handed out as parts so far.
    private let queued = Mutex<Int64>(0)

    init(upload: any BlobUpload, path: String) {
        self.upload = upload
        self.path = path
        (requests, sink) = AsyncStream.makeStream(of: Request.self)
    }

    /// The file now holds `written` bytes: queues the whole parts not queued yet.
    func written(_ written: Int64) {
        let partSize = upload.partSize
        let parts = queued.withLock { queued -> [(Int64, Int64)] in
            var parts: [(Int64, Int64)] = []
            while written - queued >= partSize {
                parts.append((queued, partSize))
                queued += partSize
            }
            return parts
        }
        for (offset, length) in parts { sink.yield(.part(offset: offset, length: length)) }
    }

    /// Sends the rest of the verified file and makes the blob visible; throws when any
    /// part failed (the upload is then aborted).
    func complete(size: Int64) async throws {
        let from = queued.withLock { $0 }
        try await withCheckedThrowingContinuation { (done: CheckedContinuation<Void, any Error>) in
            sink.yield(.complete(from: from, size: size, done: done))
            sink.finish()
        }
    }

    /// Drops the upload (the download failed or was abandoned).
    func abort() {
        sink.yield(.abort)
        sink.finish()
    }

    /// Uploads the queued parts in order until `complete` or `abort`; after a failure
    /// the rest is dropped and the upload aborted.
    func run() async {
        var failure: (any Error)?
        for await request in requests {
            switch request {
            case .part(let offset, let length):
                guard failure == nil else { continue }
                do {
                    try await upload.append(fileAt: path, offset: offset, length: length)
                } catch {
                    failure = error
                    await upload.abort()
                }
            case .complete(let from, let size, let done):
                if let failure {
                    done.resume(throwing: failure)
                    continue
                }
                do {
                    try await upload.complete(fileAt: path, from: from, size: size)
                    done.resume()
                } catch {
                    await upload.abort()
                    done.resume(throwing: error)
                }
            case .abort:
                if failure == nil { await upload.abort() }
            }
        }
    }
}
