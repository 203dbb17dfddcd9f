import OCI

/// One blob download shared by every client that asked for the digest while it runs:
/// the temporary file it writes and the progress readers follow.
final class BlobFill: Sendable {
    let digest: Digest
    let file: BlobFile
    let temporaryPath: String
    let progress = FillProgress()

    init(digest: Digest, file: BlobFile, temporaryPath: String) {
        self.digest = digest
        self.file = file
        self.temporaryPath = temporaryPath
    }
}
