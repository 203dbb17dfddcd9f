import Foundation

/// What `HEAD` tells about an object.
public struct S3ObjectMetadata: Sendable, Hashable {
    /// The object's size in bytes.
    public var size: Int64
    /// The entity tag, quotes included as S3 sends it (`"…"`, or `"…-N"` for multipart objects).
    public var eTag: String
    /// The last modification time, when the server sent a parseable one.
    public var lastModified: Date?
    /// The content type stored with the object.
    public var contentType: String?

    /// Creates a metadata value.
    public init(size: Int64, eTag: String, lastModified: Date? = nil, contentType: String? = nil) {
        self.size = size
        self.eTag = eTag
        self.lastModified = lastModified
        self.contentType = contentType
    }
}
