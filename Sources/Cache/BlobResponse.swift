import OCI

/// Where the bytes of a response came from, for logs and metrics.
public enum CacheSource: String, Sendable {
    /// Served from the local cache.
    case hit
    /// Fetched from the upstream by this request.
    case miss
    /// Joined a download another request had started.
    case coalesced
    /// A cached copy served because the upstream could not be asked.
    case stale
    /// Read from the shared store (the cache's second level) while copied to the local disk.
    case shared
    /// Sent to the shared store with a presigned URL (307): the store serves the bytes.
    case redirected
}

/// A blob ready to stream to a client.
public struct BlobResponse: Sendable {
    public let digest: Digest
    /// Size of the whole blob, when known (always known on a hit).
    public let size: Int64?
    /// The inclusive byte span being sent when answering a `Range` request with 206.
    public let range: ClosedRange<Int64>?
    public let source: CacheSource
    public let body: BlobBody

    /// The committed file a cache hit is read from (nil for misses), for serving it
    /// without copying; `body` must be kept alive meanwhile (it holds the eviction lease).
    public var cachedFile: BlobFile? {
        if case .file(let file, _) = body.source { return file }
        return nil
    }

    /// Number of body bytes, when known.
    public var contentLength: Int64? {
        if let range { return range.upperBound - range.lowerBound + 1 }
        return size
    }
}
