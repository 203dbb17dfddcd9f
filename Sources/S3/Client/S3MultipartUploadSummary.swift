import Foundation

/// An unfinished multipart upload, as `ListMultipartUploads` reports it.
public struct S3MultipartUploadSummary: Sendable, Hashable {
    /// The key the upload will create.
    public var key: String
    /// The upload id, for `UploadPart`, `Complete…` and `Abort…`.
    public var uploadID: String
    /// When the upload was created, when parseable.
    public var initiated: Date?

    /// Creates a summary.
    public init(key: String, uploadID: String, initiated: Date?) {
        self.key = key
        self.uploadID = uploadID
        self.initiated = initiated
    }
}
