import Foundation

/// A signed Alipay gateway request, with the pieces that went into it.
public struct AlipaySignedRequest: Sendable, Hashable {
    /// Every parameter sent, including `sign`.
    public let parameters: [String: String]
    /// The exact text that was signed (see ``AlipaySignContent``).
    public let signContent: String
    /// The base64 RSA2 signature (`sign`).
    public let signature: String
    /// The gateway URL with all parameters in the query (sorted by key, `sign` included).
    public let url: URL
}
