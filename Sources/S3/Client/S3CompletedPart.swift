/// A part of a multipart upload, as `CompleteMultipartUpload` lists it.
public struct S3CompletedPart: Sendable, Hashable {
    /// The part number, 1…10000.
    public var partNumber: Int
    /// The ETag `UploadPart` returned for it.
    public var eTag: String

    /// Creates a part reference.
    public init(partNumber: Int, eTag: String) {
        self.partNumber = partNumber
        self.eTag = eTag
    }
}
