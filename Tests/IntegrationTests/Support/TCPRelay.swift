import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay on a loopback port to `target`, that a test can stop (connections are
/// refused and the open ones closed: the peer looks down) and start again on the same
/// port. Bytes pass through unchanged, so signed requests stay valid.
final class TCPRelay: Sendable {
    let targetPort: Int
    private let listener = Mutex<(any Channel)?>(nil)
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    /// The loopback port the relay listens on (kept across stop and start).
    let port: Int

    /// Starts relaying a free loopback port to `targetPort`.
    init(targetPort: Int) async throws {
        self.targetPort = targetPort
        port = reserveFreePort()
        try await start()
    }

    /// Listens again.
    func start() async throws {
        let targetPort = targetPort
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { [self] inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(host: "127.0.0.1", port: targetPort).flatMap { outbound in
                    self.track(inbound)
                    self.track(outbound)
                    return inbound.pipeline.addHandler(RelayHandler(peer: outbound)).flatMap {
                        outbound.pipeline.addHandler(RelayHandler(peer: inbound))
                    }.flatMap { inbound.setOption(.autoRead, value: true) }
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        listener.withLock { $0 = channel }
    }

    /// Stops listening and closes every relayed connection.
    func stop() async {
        let channel = listener.withLock { listener in
            defer { listener = nil }
            return listener
        }
        try? await channel?.close()
        let open = connections.withLock { connections in
            defer { connections.removeAll() }
            return Array(connections.values)
        }
        for connection in open { try? await connection.close() }
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in _ = connections.withLock { $0.removeValue(forKey: id) } }
    }
}

/// Writes what one side reads to the other, and closes the other when one closes.
private final class RelayHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = ByteBuffer
    let peer: any Channel

    init(peer: any Channel) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        peer.writeAndFlush(unwrapInboundIn(data), promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        peer.close(promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
