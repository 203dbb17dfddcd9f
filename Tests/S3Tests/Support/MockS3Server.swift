import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A scripted HTTP server on 127.0.0.1 that records requests and answers as told.
final class MockS3Server: Sendable {
    struct Request: Sendable {
        var method: HTTPMethod
        var uri: String
        var headers: HTTPHeaders
        var body: [UInt8]
    }

    enum Reply: Sendable {
        case respond(status: Int, headers: [(String, String)] = [], body: String = "")
        /// Close the connection without answering.
        case disconnect
    }

    private let script: @Sendable (Request, Int) -> Reply
    private let recorded = Mutex<[Request]>([])
    private let channel = Mutex<(any Channel)?>(nil)

    /// Every request received so far.
    var requests: [Request] { recorded.withLock { $0 } }

    /// The listening port.
    var port: Int { channel.withLock { $0?.localAddress?.port ?? 0 } }

    /// Starts a server whose answer to the n-th request (0-based) is `script(request, n)`.
    init(script: @escaping @Sendable (Request, Int) -> Reply) async throws {
        self.script = script
        let bootstrap = ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [self] channel in
                do {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(Handler(server: self))
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
                }
            }
        let listening = try await bootstrap.bind(host: "127.0.0.1", port: 0).get()
        channel.withLock { $0 = listening }
    }

    func shutdown() async throws {
        let listening = channel.withLock { $0 }
        try await listening?.close()
    }

    fileprivate func reply(to request: Request) -> Reply {
        let index = recorded.withLock { requests in
            requests.append(request)
            return requests.count - 1
        }
        return script(request, index)
    }

    private final class Handler: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let server: MockS3Server
        var head: HTTPRequestHead?
        var body: [UInt8] = []

        init(server: MockS3Server) {
            self.server = server
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                self.head = head
                body = []
            case .body(var buffer):
                body += buffer.readBytes(length: buffer.readableBytes) ?? []
            case .end:
                guard let head else { return }
                let request = Request(method: head.method, uri: head.uri, headers: head.headers, body: body)
                switch server.reply(to: request) {
                case .disconnect:
                    context.close(promise: nil)
                case .respond(let status, let extraHeaders, let text):
                    var headers = HTTPHeaders(extraHeaders)
                    let bytes = Array(text.utf8)
                    if !headers.contains(name: "content-length") {
                        headers.add(name: "content-length", value: String(bytes.count))
                    }
                    let responseHead = HTTPResponseHead(version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers)
                    context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
                    if head.method != .HEAD, !bytes.isEmpty {
                        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: bytes)))), promise: nil)
                    }
                    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
                }
            }
        }
    }
}
