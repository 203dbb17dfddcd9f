import Foundation

/// Who may pull through the gateway.
public enum AccessMode: String, Sendable, CaseIterable {
    /// No authentication: anyone who reaches the listener may pull (private networks only).
    case open
}

/// Settings the gateway needs, resolved and validated by `ferry` before start-up.
public struct GatewayConfiguration: Sendable {
    /// Address and port to listen on.
    public var host: String
    public var port: Int
    /// The URL clients use to reach Ferry, e.g. `https://mirror.example.com`.
    public var publicURL: URL
    public var accessMode: AccessMode

    /// Creates a configuration.
    public init(host: String, port: Int, publicURL: URL, accessMode: AccessMode) {
        self.host = host
        self.port = port
        self.publicURL = publicURL
        self.accessMode = accessMode
    }
}
