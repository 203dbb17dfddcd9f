import Cache
import Synchronization

/// What the access log line says about a request that only its handlers learn: who it
/// was, where it went and where its bytes came from. Filled in on the way in and read
/// once the body has been sent; a reference type because Hummingbird passes contexts
/// by value and the log's middleware is outside the ones that learn these facts.
public final class AccessLogRecord: Sendable {
    private struct Fields {
        var user: String?
        var route: String?
        var upstream: String?
        var repository: String?
        var source: CacheSource?
        var zeroCopy = false
        var redirectedBytes: Int64?
    }

    private let fields = Mutex(Fields())

    /// Creates an empty record.
    public init() {}

    /// The subscriber the request was authenticated as.
    public var user: String? {
        get { fields.withLock { $0.user } }
        set { fields.withLock { $0.user = newValue } }
    }

    /// The `/v2` endpoint's kind (`manifest`, `blob`, …), for the route metric.
    public var route: String? {
        get { fields.withLock { $0.route } }
        set { fields.withLock { $0.route = newValue } }
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

    /// Where the bytes came from.
    public var source: CacheSource? {
        get { fields.withLock { $0.source } }
        set { fields.withLock { $0.source = newValue } }
    }

    /// The size of a blob the client was redirected to (metered as served at once).
    public var redirectedBytes: Int64? {
        get { fields.withLock { $0.redirectedBytes } }
        set { fields.withLock { $0.redirectedBytes = newValue } }
    }

    /// Whether the body was sent with `sendfile(2)`.
    public var zeroCopy: Bool {
        get { fields.withLock { $0.zeroCopy } }
        set { fields.withLock { $0.zeroCopy = newValue } }
    }
}
