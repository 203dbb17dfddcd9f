import Hummingbird
import Logging
import NIOCore
import Synchronization

/// What a handler learned about a request, read by the access log after the response
/// is written. A reference type because Hummingbird passes contexts by value.
public final class RequestRecord: Sendable {
    private struct Fields {
        var clientAddress: String?
        var publicBase: String?
        var user: String?
        var upstream: String?
        var repository: String?
        var source: String?
        var zeroCopy = false
    }

    private let fields = Mutex(Fields())

    /// Creates an empty record.
    public init() {}

    /// The client's address as a trusted proxy reported it.
    public var clientAddress: String? {
        get { fields.withLock { $0.clientAddress } }
        set { fields.withLock { $0.clientAddress = newValue } }
    }

    /// `scheme://host` the client used, as a trusted proxy reported it.
    public var publicBase: String? {
        get { fields.withLock { $0.publicBase } }
        set { fields.withLock { $0.publicBase = newValue } }
    }

    /// The subscriber the request was authenticated as.
    public var user: String? {
        get { fields.withLock { $0.user } }
        set { fields.withLock { $0.user = newValue } }
    }

    /// The upstream registry the request was routed to.
    public var upstream: String? {
        get { fields.withLock { $0.upstream } }
        set { fields.withLock { $0.upstream = newValue } }
    }

    /// The repository name asked of the upstream.
    public var repository: String? {
        get { fields.withLock { $0.repository } }
        set { fields.withLock { $0.repository = newValue } }
    }

    /// Whether the body was sent with `sendfile(2)`.
    public var zeroCopy: Bool {
        get { fields.withLock { $0.zeroCopy } }
        set { fields.withLock { $0.zeroCopy = newValue } }
    }

    /// Where the bytes came from (`hit`, `miss`, `coalesced`, `stale`, `upstream`).
    public var source: String? {
        get { fields.withLock { $0.source } }
        set { fields.withLock { $0.source = newValue } }
    }
}

/// Ferry's request context: Hummingbird's core storage, the client address, and the
/// record the access log reads.
public struct FerryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer address of the connection.
    public let remoteAddress: SocketAddress?
    /// The connection (for handing file regions to its pipeline).
    let channel: any Channel
    /// Facts about the request for the access log.
    public let record: RequestRecord

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
        self.record = RequestRecord()
    }

    /// The client's IP address, for logs: the one a trusted proxy reported, else the peer's.
    public var clientAddress: String? { record.clientAddress ?? remoteAddress?.ipAddress }

    /// The key the client is throttled and counted under: its IPv4 address, or its
    /// IPv6 /64 (one client usually holds a whole /64).
    public var clientNetwork: String? { clientAddress.map { IPNetwork.clientKey(for: $0) ?? $0 } }
}
