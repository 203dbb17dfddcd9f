/// The result of presigning a request in its query string.
public struct SigV4PresignedRequest: Sendable, Hashable {
    /// The full query string to send, encoded, `X-Amz-Signature` last (no leading `?`).
    public var encodedQuery: String
    /// The percent-encoded path to send.
    public var encodedPath: String
    /// The canonical request that was hashed.
    public var canonicalRequest: String
    /// The string that was signed.
    public var stringToSign: String
    /// The hex signature (`X-Amz-Signature`).
    public var signature: String
}
