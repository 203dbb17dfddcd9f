import Cache
import Hummingbird
import Logging
import NIOCore
import OCI

/// Ferry's request context. What flows down to handlers is typed values set by one
/// middleware each and passed on in a modified copy: the client as a trusted proxy
/// reported it (`ForwardedHeadersMiddleware`), the parsed registry route
/// (`RegistryRouteMiddleware`) and the authenticated subscriber (`RegistryAuthMiddleware`).
/// What flows back out, for the access log, goes into `log`.
public struct FerryRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The peer address of the connection.
    public let remoteAddress: SocketAddress?
    /// The connection (for handing file regions to its pipeline).
    let channel: any Channel
    /// What the access log line says about the request, filled in by handlers.
    public let log: AccessLogRecord
    /// The client's address as a trusted proxy reported it.
    public var forwardedClient: String?
    /// `scheme://host` the client used, as a trusted proxy reported it.
    public var forwardedBase: String?
    /// The `/v2` endpoint addressed (set inside the `/v2` group).
    public var route: RegistryRoute?
    /// Who the request is authenticated as (set inside the `/v2` group in `subscribers` mode).
    public var subscriber: Subscriber?
    /// Whether a manifest HEAD may make Ferry GET the manifest upstream (when nothing
    /// cached and no upstream HEAD can answer it); `BillingMiddleware` sets it.
    public var manifestHeadFetch = ManifestHeadFetch.allowed

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.channel = source.channel
        self.log = AccessLogRecord()
    }

    /// The client's IP address, for logs: the one a trusted proxy reported, else the peer's.
    public var clientAddress: String? { forwardedClient ?? remoteAddress?.ipAddress }

    /// The key the client is throttled and counted under: its IPv4 address, or its
    /// IPv6 /64 (one client usually holds a whole /64).
    public var clientNetwork: String? { clientAddress.map { IPNetwork.clientKey(for: $0) ?? $0 } }
}

/// An authenticated subscriber, as a request carries it.
public struct Subscriber: Sendable, Equatable {
    /// The user's id: limits and metering are keyed by it (a re-created username is
    /// another subscriber).
    public let userID: Int64
    /// The user's name, for logs and messages.
    public let username: String

    /// Creates the value.
    public init(userID: Int64, username: String) {
        self.userID = userID
        self.username = username
    }
}

/// What a manifest HEAD that only an upstream GET can answer may do.
public enum ManifestHeadFetch: Sendable {
    /// Fetch (no pulls are counted: `open` mode, billing off).
    case allowed
    /// Throw `ManifestHeadNeedsPull`, so the billing middleware counts a pull first.
    case needsPull
    /// The pull is counted: fetch at once.
    case paid
}
