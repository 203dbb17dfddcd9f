import Accounts
import Billing
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OCI

/// The Docker registry token service at `/token`:
/// - `GET /token` with Basic auth and `service`, `scope` (repeatable), `account`,
///   `offline_token`, `client_id` (docker login and docker/skopeo pulls);
/// - `POST /token` with an OAuth2 form, `grant_type=password` (containerd tries this
///   first) or `grant_type=refresh_token` (docker's stored identity token).
/// Grants the intersection of the requested scopes and what a subscriber may do.
public struct TokenController: Sendable {
    let configuration: GatewayConfiguration
    let access: SubscriberAccess
    /// Refuses tokens to users without a subscription; nil when plans are not enforced.
    let billing: GatewayBilling?
    let metrics: FerryMetrics?
    /// Whether a repository name routes to a mirrored upstream.
    let isMirrored: @Sendable (String) -> Bool

    /// Creates the controller.
    public init(
        configuration: GatewayConfiguration, access: SubscriberAccess, billing: GatewayBilling?, metrics: FerryMetrics? = nil,
        isMirrored: @escaping @Sendable (String) -> Bool
    ) {
        self.configuration = configuration
        self.access = access
        self.billing = billing
        self.metrics = metrics
        self.isMirrored = isMirrored
    }

    /// Registers `GET /token` and `POST /token`.
    public func addRoutes(to router: Router<FerryRequestContext>) {
        router.get("/token") { request, context in try await counted { try await get(request, context: context) } }
        router.post("/token") { request, context in try await counted { try await post(request, context: context) } }
    }

    /// Counts issued and refused tokens.
    private func counted(_ body: () async throws -> Response) async throws -> Response {
        do {
            let response = try await body()
            metrics?.token(issued: true)
            return response
        } catch {
            let reason = switch error {
            case let error as OCIError: error.code.rawValue.lowercased()
            case is TooManyRequests: "throttled"
            default: "other"
            }
            metrics?.token(issued: false, reason: reason)
            throw error
        }
    }

    @Sendable func get(_ request: Request, context: FerryRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        try checkService(query["service"].map(String.init))
        guard let basic = BasicCredentials(header: request.headers[.authorization]) else {
            throw OCIError(.unauthorized, "authentication required: use your Ferry username and password or access token")
        }
        if let account = query["account"].map(String.init), !account.isEmpty, account != basic.username {
            throw OCIError(.unauthorized, "account \(account) does not match the credentials")
        }
        let (user, credential) = try await authenticate(username: basic.username, secret: basic.secret, context: context)
        let scopes = query.getAll("scope").flatMap { TokenRequestFields.scopes($0) }
        let offline = query["offline_token"].map { $0 == "true" } ?? false
        let clientID = query["client_id"].map(String.init) ?? "unknown"
        return try await tokenResponse(for: user, credential: credential, scopes: scopes, refreshClientID: offline ? clientID : nil, context: context)
    }

    @Sendable func post(_ request: Request, context: FerryRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: 64 * 1024)
        let form = TokenRequestFields.formFields(String(buffer: body))
        try checkService(form["service"])
        let scopes = (form["scope"] ?? "").split(separator: " ").flatMap { TokenRequestFields.scopes($0) }
        let clientID = form["client_id"] ?? "unknown"
        switch form["grant_type"] {
        case "password":
            guard let username = form["username"], let password = form["password"] else {
                throw OCIError(.unauthorized, "grant_type=password needs username and password")
            }
            let (user, credential) = try await authenticate(username: username, secret: password, context: context)
            let offline = form["access_type"] == "offline"
            return try await tokenResponse(for: user, credential: credential, scopes: scopes, refreshClientID: offline ? clientID : nil, context: context)
        case "refresh_token":
            guard let refreshToken = form["refresh_token"] else { throw OCIError(.unauthorized, "grant_type=refresh_token needs refresh_token") }
            let (user, redeemed): (User, RefreshToken)
            switch try await access.refreshTokens.redeem(refreshToken, clientAddress: context.clientNetwork) {
            case .redeemed(let found, let token): (user, redeemed) = (found, token)
            case .rejected: throw OCIError(.unauthorized, "invalid or expired refresh token: log in again")
            case .throttled(let retryAfter):
                throw TooManyRequests(retryAfter: retryAfter, message: "too many invalid refresh tokens: try again in \(retryAfter) seconds")
            }
            context.log.user = user.username
            try await admitRequest(user)
            // No replacement: docker keeps using the token it stored at login, which stays
            // valid (and listed, with its last use, by `ferry token refresh list`).
            return try await tokenResponse(for: user, credential: .refreshToken(id: redeemed.id), scopes: scopes, context: context)
        default:
            throw OCIError(.unsupported, "unsupported grant_type: use password or refresh_token")
        }
    }

    // MARK: - Helpers

    /// Scopes granted in one token at most (a token must stay small enough to verify).
    static let maximumScopes = 50

    private func authenticate(username: String, secret: String, context: FerryRequestContext) async throws -> (User, Credential) {
        guard User.isAcceptableLogin(username) else {
            throw BadRequest(code: .unauthorized, message: "malformed username: at most 255 bytes, no control characters")
        }
        let (user, credential) = try await access.authenticator.authenticate(username: username, secret: secret, clientAddress: context.clientNetwork).authenticated()
        context.log.user = user.username
        try await admitRequest(user)
        return (user, credential)
    }

    /// No token without a subscription, and every token request takes one request from
    /// the subscriber's request-rate bucket (as a `/v2` request does).
    private func admitRequest(_ user: User) async throws {
        guard let billing else { return }
        let standing = try await billing.limits.admit(userID: user.id, username: user.username)
        do {
            try billing.limits.admitRequest(standing)
        } catch {
            metrics?.rateLimited(reason: error.reason.rawValue)
            throw error
        }
    }

    private func tokenResponse(for user: User, credential: Credential, scopes: [Scope], refreshClientID: String? = nil, context: FerryRequestContext) async throws -> Response {
        let granted = ScopeGrant.grant(Array(scopes.prefix(Self.maximumScopes)), isMirrored: isMirrored)
        let issued = try await access.tokens.issue(subject: user.username, userID: user.id, credential: credential, access: granted, now: access.now())
        var refresh: String?
        if let refreshClientID { refresh = try await access.accounts.issueRefreshToken(for: user, clientID: refreshClientID, credential: credential) }
        let document = TokenDocument(
            token: issued.token, accessToken: issued.token, expiresIn: issued.expiresIn,
            issuedAt: ISO8601DateFormatter().string(from: issued.issuedAt), refreshToken: refresh
        )
        let data = try JSONResponse.encoder.encode(document)
        context.logger.info("token issued", metadata: [
            "user": "\(user.username)", "scopes": "\(granted.count)", "credential": "\(credential)", "refresh": "\(refresh != nil)",
        ])
        return Response(
            status: .ok,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }

    /// The token endpoint's answer, as the Docker token specification names its fields.
    struct TokenDocument: Encodable {
        let token: String
        let accessToken: String
        let expiresIn: Int
        let issuedAt: String
        let refreshToken: String?

        enum CodingKeys: String, CodingKey {
            case token
            case accessToken = "access_token"
            case expiresIn = "expires_in"
            case issuedAt = "issued_at"
            case refreshToken = "refresh_token"
        }
    }

    private func checkService(_ service: String?) throws(OCIError) {
        if let service, !service.isEmpty, service != configuration.tokenService {
            throw OCIError(.unauthorized, "unknown service \(OCIError.quote(service)): expected \(configuration.tokenService)")
        }
    }
}
