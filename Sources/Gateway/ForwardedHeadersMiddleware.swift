import HTTPTypes
import Hummingbird

/// Behind a reverse proxy: when the peer is a trusted proxy, takes the client address
/// from `X-Forwarded-For` (the rightmost entry that is not itself a trusted proxy) and
/// the public URL for challenges from `X-Forwarded-Proto` and `X-Forwarded-Host`.
/// Headers from anyone else are ignored, so clients cannot forge their address.
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
        if let forwarded = request.headers[.xForwardedFor] {
            let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { IPNetwork.bytes(of: $0) != nil }
            context.record.clientAddress = hops.last { !isTrusted($0) } ?? hops.first
        }
        if let host = request.headers[.xForwardedHost]?.split(separator: ",").first.map({ $0.trimmingCharacters(in: .whitespaces) }), !host.isEmpty,
           host.allSatisfy({ $0.isLetter || $0.isNumber || ".-:[]".contains($0) }) {
            let scheme = request.headers[.xForwardedProto]?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            context.record.publicBase = "\(scheme == "http" ? "http" : "https")://\(host)"
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
