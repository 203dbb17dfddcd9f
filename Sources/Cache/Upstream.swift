import NIOCore
import OCI

/// A registry Ferry pulls from. `RegistryUpstream` speaks HTTP to a real one; tests
/// use an in-memory implementation.
public protocol Upstream: Sendable {
    /// Which upstream this is.
    var configuration: UpstreamConfiguration { get }

    /// Fetches (`headOnly == false`) or checks (`headOnly == true`, no body, not counted
    /// by Docker Hub) a manifest, asking for every manifest type Ferry mirrors.
    func manifest(_ repository: RepositoryName, reference: Reference, headOnly: Bool) async throws(UpstreamError) -> UpstreamManifest

    /// Starts a blob download of bytes `offset...end` (`end` nil: to the end of the blob;
    /// 0 and nil: the whole blob). The body must be consumed or dropped by the caller.
    /// `UpstreamBlob.offset` says where the body really starts (an upstream may ignore
    /// the range and send everything).
    func blob(_ repository: RepositoryName, digest: Digest, from offset: Int64, through end: Int64?) async throws(UpstreamError) -> UpstreamBlob

    /// Checks a blob's existence and size without downloading it.
    func blobSize(_ repository: RepositoryName, digest: Digest) async throws(UpstreamError) -> Int64?

    /// Lists tags, passing the pagination parameters through.
    func tags(_ repository: RepositoryName, count: Int?, last: String?) async throws(UpstreamError) -> UpstreamTagList
}

extension Upstream {
    /// Starts a blob download from byte `offset` to the end (0: the whole blob).
    public func blob(_ repository: RepositoryName, digest: Digest, from offset: Int64) async throws(UpstreamError) -> UpstreamBlob {
        try await blob(repository, digest: digest, from: offset, through: nil)
    }
}

/// A manifest as the upstream answered it.
public struct UpstreamManifest: Sendable {
    public var mediaType: String
    /// The `Docker-Content-Digest` header, when present and valid.
    public var digest: Digest?
    /// The body; nil for a HEAD request.
    public var body: [UInt8]?
    /// `Content-Length` of the manifest.
    public var size: Int64?

    /// Creates a manifest answer.
    public init(mediaType: String, digest: Digest?, body: [UInt8]?, size: Int64?) {
        self.mediaType = mediaType
        self.digest = digest
        self.body = body
        self.size = size
    }
}

/// A blob download in progress: its announced length and a stream of its bytes.
public struct UpstreamBlob: Sendable {
    /// `Content-Length` of the body, when the upstream announced it.
    public var contentLength: Int64?
    /// The blob offset of the body's first byte.
    public var offset: Int64
    /// The body, streamed with backpressure.
    public var body: any AsyncSequence<ByteBuffer, any Error> & Sendable

    /// Creates a blob download.
    public init(contentLength: Int64?, offset: Int64 = 0, body: any AsyncSequence<ByteBuffer, any Error> & Sendable) {
        self.contentLength = contentLength
        self.offset = offset
        self.body = body
    }
}

/// A page of a tag list, as raw JSON plus the pagination `Link` header.
public struct UpstreamTagList: Sendable {
    public var body: [UInt8]
    public var link: String?

    /// Creates a tag-list answer.
    public init(body: [UInt8], link: String?) {
        self.body = body
        self.link = link
    }
}

/// Why an upstream request failed.
public enum UpstreamError: Error, Sendable, Equatable {
    /// 404: the repository, manifest or blob is not there.
    case notFound
    /// 401/403 after authenticating: Ferry may not see this repository.
    case denied(status: Int)
    /// 429, with `Retry-After` seconds when given.
    case rateLimited(retryAfter: Int?)
    /// Another unexpected status (5xx and the like).
    case status(Int)
    /// Connection refused, DNS failure, timeout, or a broken body.
    case unreachable(String)
    /// A response that breaks the protocol (oversized manifest, bad token JSON).
    case invalidResponse(String)
    /// The asking task was cancelled; says nothing about the upstream (a request
    /// sharing the call retries it).
    case cancelled

    /// Whether a cached copy should be served instead (upstream down, slow or limiting us).
    public var allowsStaleCopy: Bool {
        switch self {
        case .unreachable, .rateLimited: true
        case .status(let code): code >= 500
        case .notFound, .denied, .invalidResponse, .cancelled: false
        }
    }
}
