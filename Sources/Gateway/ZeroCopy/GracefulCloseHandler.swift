import NIOCore

/// Holds a full close of the connection until the bytes already written have reached
/// the socket. Hummingbird's `HTTPConnectionStateHandler` closes a connection that is
/// quiescing (the server is shutting down) right after writing the response's end, and
/// a full close fails every write still queued behind a full socket buffer: a slow
/// client downloading during a deploy would get a short body (and be billed for bytes
/// it never received). Placed first in the pipeline, this handler sees every socket
/// write and delays `close(mode: .all)` until they are all done, or until
/// `maximumDelay` has passed (a client that stopped reading does not hold the server).
final class GracefulCloseHandler: ChannelOutboundHandler {
    typealias OutboundIn = Any
    typealias OutboundOut = Any

    /// How long a close waits for queued writes at most.
    let maximumDelay: TimeAmount
    private var pendingWrites = 0
    private var deferredClose: (promise: EventLoopPromise<Void>?, deadline: Scheduled<Void>?)?

    init(maximumDelay: TimeAmount = .seconds(60)) {
        self.maximumDelay = maximumDelay
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let written = promise ?? context.eventLoop.makePromise()
        pendingWrites += 1
        written.futureResult.hop(to: context.eventLoop).assumeIsolatedUnsafeUnchecked().whenComplete { _ in
            self.pendingWrites -= 1
            if self.pendingWrites == 0 { self.closeNow(context) }
        }
        context.write(data, promise: written)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        guard mode == .all, pendingWrites > 0, deferredClose == nil else {
            context.close(mode: mode, promise: promise)
            return
        }
        // Writes still queued: flush them and close once they are done.
        let deadline = context.eventLoop.assumeIsolatedUnsafeUnchecked().scheduleTask(in: maximumDelay) { self.closeNow(context) }
        deferredClose = (promise, deadline)
        context.flush()
    }

    /// Performs a deferred close, once.
    private func closeNow(_ context: ChannelHandlerContext) {
        guard let (promise, deadline) = deferredClose else { return }
        deferredClose = nil
        deadline?.cancel()
        context.close(mode: .all, promise: promise)
    }
}
