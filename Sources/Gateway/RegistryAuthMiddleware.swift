import Accounts
import HTTPTypes
import Hummingbird
import OCI

/// Guards the `/v2` group in `subscribers` mode: a request needs a valid bearer token whose
/// `access` covers the repository and `pull`, or must arrive on a mirror-key host
/// (`<key>.<mirror domain>`, for dockerd's `registry-mirrors`, which never sends the
/// mirror its own login). Anything else gets 401 with a challenge pointing at the
/// token service, as the distribution spec describes. Names the caller in the
/// context's `subscriber` for the middlewares and handlers after it.
public struct RegistryAuthMiddleware: RouterMiddleware {
    public typealias Context = FerryRequestContext

    let configuration: GatewayConfiguration
    let access: SubscriberAccess

    /// Creates the middleware.
    public init(configuration: GatewayConfiguration, access: SubscriberAccess) {
        self.configuration = configuration
        self.access = access
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let key = mirrorKey(in: request) {
            switch try await access.mirrorKeys.resolve(key: key, clientAddress: context.clientNetwork) {
            case .user(let id, let username):
                context.subscriber = Subscriber(userID: id, username: username)
                context.log.user = username
                return try await next(request, context)
            case .unknown:
                throw OCIError(.unauthorized, "unknown or revoked mirror key")
            case .throttled(let retryAfter):
                throw TooManyRequests(retryAfter: retryAfter, message: "too many unknown mirror keys: try again in \(retryAfter) seconds")
            }
        }

        // The repository named in the path, for the challenge's scope (a malformed path
        // is reported by the registry controller once the caller is known).
        let name = context.route?.name
        guard let authorization = request.headers[.authorization], authorization.lowercased().hasPrefix("bearer ") else {
            return challenge(name, error: nil, message: "authentication required", context: context)
        }
        let claims: RegistryClaims
        do {
            claims = try await access.tokens.verify(String(authorization.dropFirst(7)), now: access.now())
        } catch {
            return challenge(name, error: "invalid_token", message: "invalid or expired token (\(error))", context: context)
        }
        guard let userID = claims.uid, let credential = claims.cred.flatMap(Credential.init),
              try await access.credentials.isValid(userID: userID, username: claims.sub, credential: credential)
        else {
            return challenge(name, error: "invalid_token", message: "token revoked: the account is suspended or deleted, or its login was revoked or changed", context: context)
        }
        if let name, !claims.allows("pull", repository: name) {
            return challenge(name, error: "insufficient_scope", message: "token does not grant pull on \(name)", context: context)
        }
        context.subscriber = Subscriber(userID: userID, username: claims.sub)
        context.log.user = claims.sub
        return try await next(request, context)
    }

    /// The key label of a `<key>.<mirror domain>` host.
    private func mirrorKey(in request: Request) -> String? {
        guard let domain = configuration.mirrorDomain,
              let host = (request.headers[HTTPField.Name("Host")!] ?? request.head.authority).map(UpstreamDirectory.normalizedHost),
              host.hasSuffix("." + domain)
        else { return nil }
        let label = host.dropLast(domain.count + 1)
        // Only a label shaped like a key (52 base32 characters) is one, so per-upstream
        // host names under the same domain (`quay.<domain>`) keep their normal login.
        guard UpstreamDirectory.isMirrorKeyLabel(label) else { return nil }
        return String(label)
    }

    /// 401 with `WWW-Authenticate: Bearer realm=…,service=…,scope=…[,error=…]`.
    private func challenge(_ name: String?, error: String?, message: String, context: Context) -> Response {
        let realm = context.forwardedBase.map { "\($0)/token" } ?? configuration.realm
        var parameters = ["realm": realm, "service": configuration.tokenService]
        if let name { parameters["scope"] = Scope(type: "repository", name: name, actions: ["pull"]).description }
        if let error { parameters["error"] = error }
        var response = OCIErrorMiddleware<Context>.errorResponse(.unauthorized, message: message)
        response.headers[.wwwAuthenticate] = AuthChallenge(scheme: "bearer", parameters: parameters).headerValue()
        return response
    }
}
