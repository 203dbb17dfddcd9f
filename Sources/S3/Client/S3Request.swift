import NIOHTTP1

/// One S3 call before signing: what to send, and what to report it as.
struct S3Request: Sendable {
    /// The operation, for errors and logs.
    var operation: S3Operation
    /// The object key, or nil for bucket-level calls.
    var key: String?
    /// The HTTP method.
    var method: HTTPMethod
    /// The decoded query parameters.
    var query: [SigV4QueryItem] = []
    /// Headers to send and sign besides `host` and the `x-amz-*` ones the signer adds.
    var headers: [SigV4Header] = []
    /// The upload body, if any.
    var body: S3RequestBody? = nil
    /// The body length in bytes.
    var bodyLength: Int64 = 0
    /// The payload hash to sign and send in `x-amz-content-sha256`.
    var payloadHash: SigV4PayloadHash = .emptyBody
}
