import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with two additions: a `FileRegionHandler`
/// between the HTTP codec and the encoder, so responses can hand cached blobs to
/// `sendfile(2)` (see `FileRegionHandoff`), and a `GracefulCloseHandler` at the head, so
/// a connection closed during a graceful shutdown still delivers what it wrote.
/// Plain-text HTTP/1.1 only: with TLS the bytes must pass through user space anyway.
public struct ZeroCopyHTTP1Channel: HTTPChannelHandler {
    public typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    public let responder: HTTPChannelHandler.Responder
    let configuration: HTTP1Channel.Configuration

    /// Creates the channel.
    public init(responder: @escaping HTTPChannelHandler.Responder, configuration: HTTP1Channel.Configuration = .init()) {
        self.responder = responder
        self.configuration = configuration
    }

    /// The same pipeline as `HTTP1Channel`, plus the file region handler (with a handoff
    /// of its own, which the request context finds through the channel).
    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
            // First, so it sees every socket write: a close waits for them (see the handler).
            try channel.pipeline.syncOperations.addHandler(GracefulCloseHandler())
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withPipeliningAssistance: false,
                withErrorHandling: false,
                withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(),
                withDecoderLimitConfiguration: limits
            )
            try channel.pipeline.syncOperations.addHandler(FileRegionHandler(handoff: FileRegionHandoff()))
            try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try channel.pipeline.syncOperations.addHandlers(configuration.additionalChannelHandlers())
            try channel.pipeline.syncOperations.addHandler(
                HTTPConnectionStateHandler(idleTimeout: configuration.idleTimeout.map { .init($0) }, logger: logger)
            )
            return try NIOAsyncChannel(wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    public func handle(value asyncChannel: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: asyncChannel, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 that sends cached blobs with `sendfile(2)`.
    public static func zeroCopyHTTP1(configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        .init { responder in ZeroCopyHTTP1Channel(responder: responder, configuration: configuration) }
    }
}

extension Channel {
    /// The connection's file region handoff, when it was set up by `ZeroCopyHTTP1Channel`.
    func fileRegionHandoff() async -> FileRegionHandoff? {
        try? await pipeline.handler(type: FileRegionHandler.self).map(\.handoff).get()
    }
}
