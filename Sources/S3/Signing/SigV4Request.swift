/// The parts of an HTTP request that Signature Version 4 covers.
///
/// `path` is the decoded path (for S3: `/bucket/key` or `/key`, with the key exactly as
/// stored); the signer percent-encodes it. The same encoding must be used on the wire:
/// ``SigV4Signer/encodedPath(_:)`` and ``SigV4Signer/encodedQuery(_:)`` give it.
public struct SigV4Request: Sendable, Hashable {
    /// The HTTP method, e.g. `GET`.
    public var method: String
    /// The decoded absolute path, starting with `/`.
    public var path: String
    /// The decoded query parameters, in any order.
    public var query: [SigV4QueryItem]
    /// The headers to sign. Must include `host`; every header listed here is signed.
    public var headers: [SigV4Header]

    /// Creates a request description.
    public init(method: String, path: String, query: [SigV4QueryItem] = [], headers: [SigV4Header] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }
}
