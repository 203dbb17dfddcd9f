import NIOCore
import Synchronization

/// Caps the connections one client address holds open on a listener (IPv4 addresses as
/// they are, IPv6 per /64, as every per-client limit counts them): past the cap a new
/// connection is closed as soon as it is accepted, so one address holding thousands of
/// idle or slow connections cannot use up the server's file descriptors. Trusted
/// reverse proxies, which carry many clients' connections, are not capped.
public final class ConnectionLimiter: Sendable {
    /// Connections one address may hold at once.
    public let maximumPerAddress: Int
    let exempt: [IPNetwork]
    private let open = Mutex<[String: Int]>([:])

    /// Creates a limiter; `exempt` lists the trusted proxies.
    public init(maximumPerAddress: Int, exempt: [IPNetwork] = []) {
        self.maximumPerAddress = max(1, maximumPerAddress)
        self.exempt = exempt
    }

    /// The key a peer is counted under, or nil when it is not capped.
    func key(for address: SocketAddress?) -> String? {
        guard let ip = address?.ipAddress else { return nil }
        guard !exempt.contains(where: { $0.contains(ip) }) else { return nil }
        return IPNetwork.clientKey(for: ip) ?? ip
    }

    /// Takes a slot for `key`; false when the address holds its maximum already.
    func admit(_ key: String) -> Bool {
        open.withLock { open in
            let count = open[key, default: 0]
            guard count < maximumPerAddress else { return false }
            open[key] = count + 1
            return true
        }
    }

    /// Gives back a slot taken by `admit`.
    func release(_ key: String) {
        open.withLock { open in
            let count = open[key, default: 1] - 1
            open[key] = count > 0 ? count : nil
        }
    }

    /// Connections `address` holds now (for tests and metrics).
    public func openConnections(of address: String) -> Int {
        open.withLock { $0[IPNetwork.clientKey(for: address) ?? address, default: 0] }
    }

    /// A handler for the front of a connection's pipeline that applies this limiter.
    public func handler() -> ConnectionLimitHandler {
        ConnectionLimitHandler(limiter: self)
    }
}

/// Applies a `ConnectionLimiter` to one connection: counts it while it is open, and
/// closes it at once when its address is over the cap.
public final class ConnectionLimitHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = NIOAny
    let limiter: ConnectionLimiter
    private var key: String?
    private var counted = false

    init(limiter: ConnectionLimiter) {
        self.limiter = limiter
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { admit(context: context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        admit(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        release()
        context.fireChannelInactive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        release()
    }

    private func admit(context: ChannelHandlerContext) {
        guard !counted, key == nil else { return }
        guard let key = limiter.key(for: context.channel.remoteAddress) else { return }
        self.key = key
        if limiter.admit(key) {
            counted = true
        } else {
            context.close(promise: nil)
        }
    }

    private func release() {
        guard counted, let key else { return }
        counted = false
        limiter.release(key)
    }
}
