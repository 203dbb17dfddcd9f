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
            context.forwardedClient = Self.client(forwardedFor: forwarded, isTrusted: isTrusted)
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

    /// The rightmost entry that is not a trusted proxy; nil (meaning: the peer) when
    /// every entry is trusted or an entry that is not an address comes first.
    public static func client(forwardedFor header: String, isTrusted: (String) -> Bool) -> String? {
        for hop in header.split(separator: ",").reversed() {
            let address = IPNetwork.strippingPort(String(hop.trimmingHTTPWhitespace()))
            guard IPNetwork.bytes(of: address) != nil else { return nil }
            if !isTrusted(address) { return address }
        }
        return nil
    }
}

extension HTTPField.Name {
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xForwardedHost = Self("X-Forwarded-Host")!
}
