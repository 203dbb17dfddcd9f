import HTTPTypes
import Hummingbird

/// Behind a reverse proxy: when the peer is a trusted proxy, takes the client address
/// from `X-Forwarded-For` and the public URL for challenges from `X-Forwarded-Proto` and
/// `X-Forwarded-Host`. Headers from anyone else are ignored.
///
/// `X-Forwarded-For` is read right to left, since only the entries appended by trusted
/// proxies can be believed: the first address that is not a trusted proxy is the
/// client. When every entry is a trusted proxy (or one cannot be read), the peer itself
/// is taken, never the leftmost entry, which the client wrote. Trusted ranges must
/// therefore hold proxies only.
public struct ForwardedHeadersMiddleware: RouterMiddleware {
    public typealias Context = FerryRequestContext
    let trusted: [IPNetwork]

    /// Creates the middleware for these proxy networks.
    public init(trusted: [IPNetwork]) {
        self.trusted = trusted
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let peer = context.remoteAddress?.ipAddress, isTrusted(peer) else {
            return try await next(request, context)
        }
        var context = context
        let forwarded = request.headers[values: .xForwardedFor].joined(separator: ",")
        if !forwarded.isEmpty {
            context.forwardedClient = ForwardedFor.client(in: forwarded, isTrusted: isTrusted)
        }
        if let host = request.headers[.xForwardedHost]?.split(separator: ",").first.map({ $0.trimmingCharacters(in: .whitespaces) }), !host.isEmpty,
           host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) {
            let scheme = request.headers[.xForwardedProto]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            context.forwardedBase = "\(scheme == "http" ? "http" : "https")://\(host)"
        }
        return try await next(request, context)
    }

    private func isTrusted(_ address: String) -> Bool {
        trusted.contains { $0.contains(address) }
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xForwardedHost = Self("X-Forwarded-Host")!
}
