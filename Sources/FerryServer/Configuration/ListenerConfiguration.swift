import Gateway
import NIOCore

/// How the listener protects itself from clients that hold connections without using
/// them (the defaults are what a careful operator would set on a public listener).
///
/// Configuration keys:
/// - `listen.header-timeout`: how long a new connection (or HTTP/2 stream) may take to
///   send its first request's head (1s–5m, default 10s).
/// - `listen.idle-timeout`: how long a kept-alive connection may wait for its next
///   request, and an HTTP/2 connection may stay without streams (1s–1h, default 60s).
/// - `listen.body-timeout`: how long a request's body may take to arrive in full, from
///   its head (1s–1h, default 30s; Ferry's bodies are small forms).
/// - `listen.tls-handshake-timeout`: how long a TLS handshake may take (1s–5m, default 10s).
/// - `listen.max-connections-per-address`: connections one client address (an IPv6 /64)
///   may hold open; more are closed at once (1–1000000, default 512; trusted proxies
///   are not capped).
public struct ListenerConfiguration: Sendable, Equatable {
    public var headerTimeout: Duration
    public var idleTimeout: Duration
    public var bodyTimeout: Duration
    public var tlsHandshakeTimeout: Duration
    public var maximumConnectionsPerAddress: Int

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        let listen = reader.scoped(to: "listen")
        headerTimeout = try listen.duration("header-timeout", default: .seconds(10), range: .seconds(1)...(.seconds(300)))
        idleTimeout = try listen.duration("idle-timeout", default: .seconds(60), range: .seconds(1)...(.seconds(3600)))
        bodyTimeout = try listen.duration("body-timeout", default: .seconds(30), range: .seconds(1)...(.seconds(3600)))
        tlsHandshakeTimeout = try listen.duration("tls-handshake-timeout", default: .seconds(10), range: .seconds(1)...(.seconds(300)))
        maximumConnectionsPerAddress = try listen.int("max-connections-per-address", default: 512, range: 1...1_000_000)
    }

    /// The protection of a listener whose trusted proxies are `trustedProxies` (not capped).
    public func protection(trustedProxies: [IPNetwork]) -> ListenerProtection {
        ListenerProtection(
            timeouts: .init(header: Self.amount(headerTimeout), idle: Self.amount(idleTimeout), body: Self.amount(bodyTimeout)),
            tlsHandshakeTimeout: Self.amount(tlsHandshakeTimeout),
            limiter: ConnectionLimiter(maximumPerAddress: maximumConnectionsPerAddress, exempt: trustedProxies)
        )
    }

    static func amount(_ duration: Duration) -> TimeAmount {
        .seconds(duration.components.seconds)
    }
}
