/// An access key pair (and optional session token) used to sign S3 requests.
///
/// The secret never appears in `description`, `debugDescription`, errors or logs.
public struct S3Credentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The access key id, e.g. `AKIDEXAMPLE`. Not secret: it is sent in every request.
    public var accessKeyID: String
    /// The secret access key. Used only as HMAC key material.
    public var secretAccessKey: String
    /// A temporary session token (STS), sent as `x-amz-security-token` and signed.
    public var sessionToken: String?

    /// Creates credentials from an access key id, its secret and an optional session token.
    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    /// A redacted rendering: the access key id only.
    public var description: String {
        "S3Credentials(accessKeyID: \(accessKeyID), secretAccessKey: <redacted>\(sessionToken == nil ? "" : ", sessionToken: <redacted>"))"
    }

    /// Same as ``description``: never prints the secret.
    public var debugDescription: String { description }
}
