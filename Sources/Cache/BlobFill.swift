import OCI
import Synchronization

/// One blob download shared by every client that asked for the digest while it runs:
/// the temporary file it writes and the progress readers follow.
final class BlobFill: Sendable {
    let digest: Digest
    let file: BlobFile
    let temporaryPath: String
    let progress = FillProgress()
    /// Where readers go on their own if the download has to stop writing (disk full).
    let repository: RepositoryName
    let upstream: any Upstream
    /// Where the bytes come from: the upstream (`miss`) or the shared store (`shared`);
    /// set before the download's head is published.
    private let source = Mutex(CacheSource.miss)
    /// Clients holding this download (`FillReader`s), and whether it was abandoned.
    private let readers = Mutex<(count: Int, abandoned: Bool)>((0, false))

    /// Whether this download asked `upstream` for `repository` (so its "not found"
    /// applies to a client asking for that same repository).
    func serves(_ repository: RepositoryName, from upstream: any Upstream) -> Bool {
        self.repository == repository && self.upstream.configuration.id == upstream.configuration.id
    }

    /// Where this download reads from.
    var origin: CacheSource {
        get { source.withLock { $0 } }
        set { source.withLock { $0 = newValue } }
    }

    /// A new reader of this download; nil when it was abandoned (start another).
    func join() -> FillReader? {
        let joined = readers.withLock { readers -> Bool in
            guard !readers.abandoned else { return false }
            readers.count += 1
            return true
        }
        return joined ? FillReader(self) : nil
    }

    /// A reader is done. When it was the last and the download has not finished, the
    /// download is abandoned: nobody would receive its bytes, so it stops at its next
    /// chunk instead of fetching the rest of the blob for nobody (a `Range` or a client
    /// that hung up must not make Ferry download a whole blob).
    fileprivate func leave() {
        readers.withLock { readers in
            readers.count -= 1
            if readers.count == 0, !isFinished { readers.abandoned = true }
        }
    }

    /// Whether every reader left before the download finished.
    var isAbandoned: Bool { readers.withLock { $0.abandoned } }

    /// Whether every byte has arrived (and was verified), or the download ended.
    private var isFinished: Bool {
        switch progress.snapshot().phase {
        case .committed, .failed: true
        case .connecting: false
        case .streaming(let expected, let visible): expected == visible
        }
    }

    init(digest: Digest, file: BlobFile, temporaryPath: String, repository: RepositoryName, upstream: any Upstream) {
        self.digest = digest
        self.file = file
        self.temporaryPath = temporaryPath
        self.repository = repository
        self.upstream = upstream
    }
}

/// One client's hold on a shared download, released when the client's response goes
/// (the body is sent, or the connection is gone).
final class FillReader: Sendable {
    let fill: BlobFill

    fileprivate init(_ fill: BlobFill) {
        self.fill = fill
    }

    deinit {
        fill.leave()
    }
}
