/// The S3 API operations this client performs, named as in the S3 API reference.
public enum S3Operation: String, Sendable, Hashable, CustomStringConvertible {
    /// Store an object in one request.
    case putObject = "PutObject"
    /// Read an object's metadata.
    case headObject = "HeadObject"
    /// Read an object or a range of it.
    case getObject = "GetObject"
    /// Delete an object.
    case deleteObject = "DeleteObject"
    /// Start a multipart upload.
    case createMultipartUpload = "CreateMultipartUpload"
    /// Upload one part of a multipart upload.
    case uploadPart = "UploadPart"
    /// Assemble the uploaded parts into the object.
    case completeMultipartUpload = "CompleteMultipartUpload"
    /// Abandon a multipart upload and free its parts.
    case abortMultipartUpload = "AbortMultipartUpload"
    /// List unfinished multipart uploads.
    case listMultipartUploads = "ListMultipartUploads"
    /// List objects (version 2 of the API).
    case listObjectsV2 = "ListObjectsV2"
    /// Make a presigned GET URL (no request is sent).
    case presignGetObject = "PresignGetObject"

    /// The operation's API name, e.g. `PutObject`.
    public var description: String { rawValue }
}
