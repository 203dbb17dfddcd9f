import NIOCore
import NIOHTTP1

/// Sits between Hummingbird's HTTP codec and the HTTP/1.1 encoder and turns a body
/// marker written by a response into the file region it stands for, which NIO then
/// sends with `sendfile(2)`. Every other part passes through untouched.
final class FileRegionHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    let handoff: FileRegionHandoff

    init(handoff: FileRegionHandoff) {
        self.handoff = handoff
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .body(.byteBuffer(let buffer)) = unwrapOutboundIn(data), let (region, handle) = handoff.take(buffer) else {
            context.write(data, promise: promise)
            return
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { result in
            try? handle.close()
            switch result {
            case .success: promise?.succeed()
            case .failure(let error): promise?.fail(error)
            }
        }
        context.write(wrapOutboundOut(.body(.fileRegion(region))), promise: written)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        handoff.discardAll()
    }

    func channelInactive(context: ChannelHandlerContext) {
        handoff.discardAll()
        context.fireChannelInactive()
    }
}
