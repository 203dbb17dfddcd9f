/// Why the cache could not produce a manifest, blob or tag list.
///
/// Gateway maps these to OCI error responses in one place; `message` is safe to show
/// to a client, internal detail goes to the log only.
public struct CacheError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The kinds of failure a client can tell apart.
    public enum Kind: Sendable, Equatable {
        /// The repository, manifest or blob does not exist upstream (or is not visible to Ferry).
        case manifestUnknown
        case blobUnknown
        case nameUnknown
        /// The upstream is down, timed out or answered with a server error, and nothing is cached.
        case unavailable
        /// The upstream rate-limited Ferry; `retryAfter` seconds when it said so.
        case rateLimited(retryAfter: Int?)
        /// The upstream sent content whose digest or size does not match what was asked.
        case digestMismatch
        /// A manifest that is too large or not of a type Ferry mirrors.
        case manifestInvalid
        /// The requested range lies outside a blob of `size` bytes.
        case rangeNotSatisfiable(size: Int64)
        /// The client accepts none of the manifest types available for this tag.
        case notAcceptable
        /// The cache disk is full: the blob is streamed from the upstream without caching.
        case diskFull
    }

    public let kind: Kind
    /// A client-safe, one-line explanation.
    public let message: String

    /// Creates an error.
    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "\(kind): \(message)" }

    /// "Not there (or not visible) upstream", as opposed to a failure of the upstream.
    public var isNotFound: Bool {
        switch kind {
        case .manifestUnknown, .blobUnknown, .nameUnknown: true
        default: false
        }
    }
}
