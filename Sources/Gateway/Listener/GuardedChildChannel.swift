import HummingbirdCore
import Logging
import NIOCore

/// A server child channel with handlers of its own in front of another one's pipeline
/// (a per-address connection cap, a peer check), and a step after the other one's setup
/// (a TLS handshake deadline that must sit behind the TLS handler).
public struct GuardedChildChannel<Inner: ServerChildChannel>: ServerChildChannel {
    public typealias Value = Inner.Value

    let inner: Inner
    let front: @Sendable () -> [any ChannelHandler]
    let afterSetup: @Sendable (any Channel) throws -> Void

    /// Wraps `inner`: `front` makes each connection's first handlers, `afterSetup` runs
    /// on the event loop once `inner` has set the connection up.
    public init(
        _ inner: Inner, front: @escaping @Sendable () -> [any ChannelHandler], afterSetup: @escaping @Sendable (any Channel) throws -> Void = { _ in }
    ) {
        self.inner = inner
        self.front = front
        self.afterSetup = afterSetup
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        do {
            try channel.pipeline.syncOperations.addHandlers(front())
        } catch {
            return channel.eventLoop.makeFailedFuture(error)
        }
        let afterSetup = self.afterSetup
        return inner.setup(channel: channel, logger: logger).flatMapThrowing { value in
            try afterSetup(channel)
            return value
        }
    }

    public func handle(value: Value, logger: Logger) async {
        await inner.handle(value: value, logger: logger)
    }
}

/// How a listener protects itself from clients that hold connections: deadlines for
/// requests, for the TLS handshake and for idle connections, and a cap on connections
/// per client address.
public struct ListenerProtection: Sendable {
    /// Request head, keep-alive idle and request body deadlines.
    public var timeouts: RequestTimeoutHandler.Timeouts
    /// How long a TLS handshake may take.
    public var tlsHandshakeTimeout: TimeAmount
    /// The per-address connection cap; nil caps nothing.
    public var limiter: ConnectionLimiter?

    /// Creates the protection.
    public init(timeouts: RequestTimeoutHandler.Timeouts, tlsHandshakeTimeout: TimeAmount, limiter: ConnectionLimiter?) {
        self.timeouts = timeouts
        self.tlsHandshakeTimeout = tlsHandshakeTimeout
        self.limiter = limiter
    }

    /// The handlers a new connection starts with.
    @Sendable public func frontHandlers() -> [any ChannelHandler] {
        limiter.map { [$0.handler()] } ?? []
    }

    /// The per-request deadlines for one HTTP/1.1 connection or HTTP/2 stream.
    @Sendable public func requestHandlers() -> [any RemovableChannelHandler] {
        [RequestTimeoutHandler(timeouts: timeouts)]
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 that sends cached blobs with `sendfile(2)`, protected by `protection`.
    public static func zeroCopyHTTP1(protection: ListenerProtection) -> HTTPServerBuilder {
        .init { responder in
            GuardedChildChannel(
                ZeroCopyHTTP1Channel(responder: responder, configuration: .init(additionalChannelHandlers: protection.requestHandlers())),
                front: protection.frontHandlers
            )
        }
    }
}
