#if canImport(Glibc)
import Glibc
#endif
import NIOCore

/// Admits a Unix-socket connection only from a process running as one of
/// `allowedUserIDs` (the server's own user, and root), read with `SO_PEERCRED` when the
/// connection opens: nothing it sends is passed on before the check. The socket lives
/// in a directory only the server's user can enter; this is the second lock.
public final class PeerCredentialsHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    let allowedUserIDs: Set<UInt32>
    private var state = State.unchecked
    private var held: [NIOAny] = []

    private enum State {
        case unchecked, checking, allowed, refused
    }

    /// Creates the check; by default the server's effective user and root may connect.
    public init(allowedUserIDs: Set<UInt32>? = nil) {
        #if canImport(Glibc)
        self.allowedUserIDs = allowedUserIDs ?? [geteuid(), 0]
        #else
        self.allowedUserIDs = allowedUserIDs ?? []
        #endif
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { check(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        check(context: context)
        context.fireChannelActive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .allowed: context.fireChannelRead(data)
        case .unchecked, .checking: held.append(data)
        case .refused: break
        }
    }

    private func check(context: ChannelHandlerContext) {
        guard state == .unchecked else { return }
        state = .checking
        #if canImport(Glibc)
        guard let provider = context.channel as? any SocketOptionProvider else { return refuse(context: context) }
        let allowed = allowedUserIDs
        let credentials: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
        credentials
            .hop(to: context.eventLoop)
            .assumeIsolatedUnsafeUnchecked()
            .whenComplete { (result: Result<PeerCredentials, any Error>) in
                guard case .success(let credentials) = result, allowed.contains(credentials.uid) else { return self.refuse(context: context) }
                self.state = .allowed
                let held = self.held
                self.held = []
                for data in held { context.fireChannelRead(data) }
                context.fireChannelReadComplete()
            }
        #else
        refuse(context: context)
        #endif
    }

    private func refuse(context: ChannelHandlerContext) {
        state = .refused
        held = []
        context.close(promise: nil)
    }
}

/// `struct ucred` (`SO_PEERCRED`'s value), which Glibc's Swift module does not export.
struct PeerCredentials {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
