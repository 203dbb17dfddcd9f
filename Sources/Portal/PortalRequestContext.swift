import Hummingbird

/// What the portal needs from the server's request context: who the client is, what a
/// trusted proxy said about the public address, and a place to note the signed-in user
/// for the access log.
public protocol PortalRequestContext: RequestContext {
    /// The client's IP address (as a trusted proxy reported it, else the peer's).
    var clientAddress: String? { get }
    /// The key the client is throttled under: its IPv4 address or IPv6 /64.
    var clientNetwork: String? { get }
    /// `scheme://host` the client used, when a trusted proxy reported it.
    var forwardedBase: String? { get }
    /// Records the signed-in user (for the access log).
    func noteUser(_ username: String)
}
