import OCI

/// Where a GET of a whole blob is sent instead of being served: a presigned URL of the
/// shared store's copy, which lives a minute at most (it is a bearer credential).
public struct BlobRedirect: Sendable {
    /// The URL the client is sent to (307).
    public let location: String
    /// The blob's size, metered when the redirect is issued.
    public let size: Int64

    /// A redirect to `location` for a blob of `size` bytes.
    public init(location: String, size: Int64) {
        self.location = location
        self.size = size
    }
}

/// The redirect for a blob, or nil to serve it (the shared store does not hold it, or
/// redirects are off).
public typealias BlobRedirector = @Sendable (Digest) async -> BlobRedirect?
