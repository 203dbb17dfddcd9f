/// The result of signing a request with an `Authorization` header.
///
/// Carries the intermediate strings so tests and debugging can compare them; none of them
/// contain the secret key.
public struct SigV4SignedRequest: Sendable, Hashable {
    /// The headers to send: the request's own, plus `x-amz-date`, `x-amz-content-sha256` (S3
    /// rules), `x-amz-security-token` (with a session token) and `authorization`.
    public var headers: [SigV4Header]
    /// The canonical request that was hashed.
    public var canonicalRequest: String
    /// The string that was signed.
    public var stringToSign: String
    /// The `;`-separated lowercase names of the signed headers.
    public var signedHeaders: String
    /// The hex signature.
    public var signature: String
    /// The `Authorization` header value.
    public var authorization: String
}
