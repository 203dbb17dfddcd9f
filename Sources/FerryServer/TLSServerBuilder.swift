import Gateway
import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
import NIOCore
import NIOSSL
import NIOTLS

extension HTTPServerBuilder {
    /// HTTP/2 and HTTP/1.1 over TLS (ALPN), protected by `protection`: the per-address
    /// cap in front, a deadline for the TLS handshake behind the TLS handler, the request
    /// deadlines on every HTTP/1.1 connection and HTTP/2 stream, and HTTP/2 connections
    /// without streams closed after the idle timeout.
    static func protectedHTTP2Upgrade(tlsConfiguration: TLSConfiguration, protection: ListenerProtection) throws -> HTTPServerBuilder {
        let idle = Duration.nanoseconds(protection.timeouts.idle.nanoseconds)
        let configuration = HTTP2ChannelConfiguration(
            idleTimeout: idle, gracefulCloseTimeout: idle,
            streamConfiguration: HTTP1Channel.Configuration(additionalChannelHandlers: protection.requestHandlers())
        )
        let handshakeTimeout = protection.tlsHandshakeTimeout
        return .init { responder in
            GuardedChildChannel(
                try HTTP2UpgradeChannel(tlsConfiguration: tlsConfiguration, configuration: configuration, responder: responder),
                front: protection.frontHandlers,
                afterSetup: { channel in
                    let tls = try channel.pipeline.syncOperations.handler(type: NIOSSLServerHandler.self)
                    try channel.pipeline.syncOperations.addHandler(TLSHandshakeTimeoutHandler(timeout: handshakeTimeout), position: .after(tls))
                }
            )
        }
    }
}

/// Closes a connection whose TLS handshake has not completed within `timeout` of the
/// connection opening (a client that opens a connection and sends nothing, or a
/// handshake byte now and then, holds no descriptor for long). Sits right behind the
/// TLS handler, where its handshake-completed event passes.
final class TLSHandshakeTimeoutHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    private var done = false

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? TLSUserEvent, case .handshakeCompleted = event {
            done = true
            deadline?.cancel()
            deadline = nil
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    private func start(context: ChannelHandlerContext) {
        guard !done, deadline == nil else { return }
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }
}
