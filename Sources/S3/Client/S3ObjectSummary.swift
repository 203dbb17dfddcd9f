import Foundation

/// One object of a `ListObjectsV2` page.
public struct S3ObjectSummary: Sendable, Hashable {
    /// The object key.
    public var key: String
    /// The object size in bytes.
    public var size: Int64
    /// The entity tag, with its quotes.
    public var eTag: String
    /// The last modification time, when parseable.
    public var lastModified: Date?

    /// Creates a summary.
    public init(key: String, size: Int64, eTag: String, lastModified: Date?) {
        self.key = key
        self.size = size
        self.eTag = eTag
        self.lastModified = lastModified
    }
}
