import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Deadlines for the client's side of an HTTP/1.1 connection or HTTP/2 stream, so a
/// client that sends nothing, or trickles a request's head or body, cannot hold it open:
/// - the first request's head must have arrived `headerTimeout` after the connection
///   (or stream) opened;
/// - on a kept-alive connection the next request's head must have arrived
///   `idleTimeout` after the previous response was written;
/// - a request's body must have arrived in full `bodyTimeout` after its head.
/// Deadlines are absolute, so a byte now and then does not extend them. While the
/// server is answering (a download can take long) none runs. Past a deadline the
/// connection is closed.
public final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    /// The three deadlines.
    public struct Timeouts: Sendable, Equatable {
        public var header: TimeAmount
        public var idle: TimeAmount
        public var body: TimeAmount

        /// Creates the deadlines.
        public init(header: TimeAmount, idle: TimeAmount, body: TimeAmount) {
            self.header = header
            self.idle = idle
            self.body = body
        }
    }

    let timeouts: Timeouts
    private var deadline: Scheduled<Void>?
    private var started = false
    private var readingBody = false
    /// Requests read in full whose response has not been written yet.
    private var awaitingResponse = 0

    /// Creates the handler for one connection or stream.
    public init(timeouts: Timeouts) {
        self.timeouts = timeouts
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        start(context: context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        cancel()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        cancel()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            readingBody = true
            schedule(timeouts.body, context: context)
        case .body:
            break
        case .end:
            readingBody = false
            awaitingResponse += 1
            cancel()
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else {
            context.write(data, promise: promise)
            return
        }
        // Once the response's end has reached the socket, the client's turn begins.
        let written = promise ?? context.eventLoop.makePromise()
        written.futureResult.hop(to: context.eventLoop).assumeIsolatedUnsafeUnchecked().whenSuccess { _ in
            self.awaitingResponse = max(0, self.awaitingResponse - 1)
            if self.awaitingResponse == 0, !self.readingBody, context.channel.isActive { self.schedule(self.timeouts.idle, context: context) }
        }
        context.write(data, promise: written)
    }

    private func start(context: ChannelHandlerContext) {
        guard !started else { return }
        started = true
        schedule(timeouts.header, context: context)
    }

    private func schedule(_ timeout: TimeAmount, context: ChannelHandlerContext) {
        cancel()
        deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: timeout) {
            context.close(promise: nil)
        }
    }

    private func cancel() {
        deadline?.cancel()
        deadline = nil
    }
}
