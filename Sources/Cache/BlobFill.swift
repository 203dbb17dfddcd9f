import OCI

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

    /// Whether this download asked `upstream` for `repository` (so its "not found"
    /// applies to a client asking for that same repository).
    func serves(_ repository: RepositoryName, from upstream: any Upstream) -> Bool {
        self.repository == repository && self.upstream.configuration.id == upstream.configuration.id
    }

    init(digest: Digest, file: BlobFile, temporaryPath: String, repository: RepositoryName, upstream: any Upstream) {
        self.digest = digest
        self.file = file
        self.temporaryPath = temporaryPath
        self.repository = repository
        self.upstream = upstream
    }
}
