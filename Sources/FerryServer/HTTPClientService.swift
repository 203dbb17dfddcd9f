import AsyncHTTPClient
import NIOCore
import NIOPosix
import ServiceLifecycle

/// An `HTTPClient` run as a service: it lives until the service group shuts down, after
/// the services started after it (the downloads that use it) have stopped.
public struct HTTPClientService: Service {
    public let client: HTTPClient

    /// Wraps `client`; shutting the service down shuts the client down.
    public init(client: HTTPClient) {
        self.client = client
    }

    public func run() async throws {
        try? await gracefulShutdown()
        try await client.shutdown()
    }

    /// Upstream connections per host: HTTP/1.1 upstreams (on-premises registries, S3
    /// blob storage) need one connection per concurrent download, and AsyncHTTPClient's
    /// default of 8 would queue the ninth download (and fail it after the connect timeout).
    public static let upstreamConnectionsPerHost = 256

    /// A client for upstream requests (the server makes one for registry API calls and
    /// one for blob bodies, so long downloads never hold up manifests and tokens).
    public static func upstreamClient(connectTimeout: Duration, readTimeout: Duration) -> HTTPClient {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: upstreamConnectionsPerHost)
        pool.retryConnectionEstablishment = true
        return HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(
                redirectConfiguration: .follow(max: 5, allowCycles: false),
                timeout: .init(connect: .init(connectTimeout), read: .init(readTimeout)),
                connectionPool: pool,
                decompression: .disabled
            )
        )
    }
}

extension TimeAmount {
    /// Converts a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
