import NIOHTTP1

/// A successful `GET` of an object (200, or 206 for a range) whose body is still streaming.
public struct S3ObjectResponse: Sendable {
    /// 200, or 206 for a range.
    public var status: Int
    /// The response headers (`Content-Length`, `Content-Range`, `ETag`, …).
    public var headers: HTTPHeaders
    /// The object bytes, streamed from the connection.
    public var body: S3ObjectBody

    /// The `Content-Length`, when the server sent one.
    public var contentLength: Int64? {
        headers.first(name: "content-length").flatMap { Int64($0) }
    }

    /// The `ETag`, when the server sent one.
    public var eTag: String? {
        headers.first(name: "etag")
    }
}
