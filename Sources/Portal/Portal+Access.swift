import Accounts
import Foundation
import HTTPTypes
import Hummingbird

/// Self-service access: personal access tokens, mirror keys, docker logins and setup snippets.
extension Portal {
    struct CreateTokenForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let name: String?
        let expires: String?
        let password: String?
    }

    struct CreateKeyForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let expires: String?
        let password: String?
    }

    struct PlainForm: Decodable, CSRFProtectedForm {
        let csrf: String?
    }

    /// The lifetimes the portal offers for a new access token or mirror key: a session
    /// cookie never mints a credential that outlives it by years.
    static let credentialLifetimes: [(value: String, label: String, seconds: TimeInterval)] = [
        ("30d", "in 30 days", 30 * 86400), ("90d", "in 90 days", 90 * 86400), ("365d", "in a year", 365 * 86400),
    ]
    static let defaultCredentialLifetime = "90d"

    /// `GET /account/access`.
    func accessPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        var notice: String?
        switch request.uri.queryParameters["done"] {
        case "token-revoked": notice = "The token was revoked, and the docker logins made with it. Clients using them can no longer pull."
        case "key-revoked": notice = "The mirror key was revoked. Its host name stops working within seconds."
        case "login-revoked": notice = "The docker login was revoked. That machine has to log in again."
        default: break
        }
        return try await access(visitor, created: nil, notice: notice)
    }

    /// The access page, optionally with a secret just created or an error.
    func access(_ visitor: SignedIn, created: AccessContent.Created?, notice: String?, error: String? = nil, status: HTTPResponse.Status? = nil) async throws -> Response {
        let tokens = try await accounts.accessTokens(of: visitor.user)
        let keys = try await accounts.mirrorKeys(of: visitor.user)
        let logins = try await accounts.refreshTokens(of: visitor.user)
        var frame = frame("Access tokens and mirror keys", .access, for: visitor)
        frame.notice = notice
        frame.error = error
        let content = AccessContent(tokens: tokens, keys: keys, logins: logins, mirrorKeysEnabled: settings.mirrorDomain != nil, created: created, now: now())
        return renderer.page("access", frame: frame, content: content, status: status ?? (created == nil ? .ok : .created))
    }

    /// Checks the password a credential-minting form carries (a session cookie alone
    /// mints nothing); nil when it is right, else the page to answer with.
    func confirmPassword(_ password: String?, of visitor: SignedIn, request: Request, context: some PortalRequestContext) async throws -> Response? {
        let password = password ?? ""
        guard !password.isEmpty, !SecretToken.looksLikeAccessToken(password) else {
            return try await access(visitor, created: nil, notice: nil, error: "Enter your password to create it.", status: .badRequest)
        }
        let outcome = try await authenticator.authenticate(
            username: visitor.user.username, secret: password, clientAddress: context.clientNetwork, device: device(of: request, context: context)
        )
        switch outcome {
        case .authenticated(let user, via: .password) where user.id == visitor.user.id:
            return nil
        case .authenticated, .rejected:
            return try await access(visitor, created: nil, notice: nil, error: "Your password is wrong; nothing was created.", status: .unauthorized)
        case .suspended:
            throw PortalError.signInRequired
        case .throttled(let retryAfter):
            var response = try await access(
                visitor, created: nil, notice: nil, error: "Too many wrong passwords. Try again in \(retryAfter) seconds.", status: .tooManyRequests
            )
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
    }

    /// The lifetime a form chose, in seconds; `badRequest` for anything not offered.
    static func lifetime(_ choice: String?) throws(PortalError) -> TimeInterval {
        guard let option = credentialLifetimes.first(where: { $0.value == (choice ?? defaultCredentialLifetime) }) else {
            throw .badRequest("Choose when it expires: in 30 days, 90 days or a year.")
        }
        return option.seconds
    }

    /// `POST /account/tokens`: asks for the password again, creates an expiring token and
    /// shows it once with its snippets.
    func createToken(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let form = try await form(CreateTokenForm.self, of: request, for: visitor, context: context)
        let name = (form.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw PortalError.badRequest("Give the token a name of 1 to 100 characters, such as laptop or ci.") }
        guard !name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw PortalError.badRequest("A token name cannot contain control characters.")
        }
        let lifetime = try Self.lifetime(form.expires)
        if let refusal = try await confirmPassword(form.password, of: visitor, request: request, context: context) { return refusal }
        let (token, secret) = try await accounts.createAccessToken(visitor.user.username, name: name, lifetime: lifetime)
        log("token-create", by: visitor, context: context, ["token": "\(token.id)"])
        let snippets = SetupSnippets(settings: settings, username: visitor.user.username)
        let created = AccessContent.Created(kind: "access token", name: name, secret: secret, snippets: [snippets.dockerLogin(token: secret)] + snippets.containerd(token: secret))
        return try await access(visitor, created: created, notice: nil)
    }

    /// `POST /account/tokens/:id/revoke`: only the visitor's own tokens (and the docker
    /// logins made with them).
    func revokeToken(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        _ = try await form(PlainForm.self, of: request, for: visitor, context: context)
        guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw PortalError.notFound }
        try await accounts.revokeAccessToken(id: id, ownedBy: visitor.user)
        log("token-revoke", by: visitor, context: context, ["token": "\(id)"])
        return PageRenderer.redirect(to: "/account/access?done=token-revoked")
    }

    /// `POST /account/mirror-keys`: asks for the password again, creates an expiring key
    /// and shows it once with `daemon.json`.
    func createMirrorKey(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let form = try await form(CreateKeyForm.self, of: request, for: visitor, context: context)
        guard settings.mirrorDomain != nil else { throw PortalError.badRequest("Mirror host names are not enabled on this Ferry; use docker login instead.") }
        let lifetime = try Self.lifetime(form.expires)
        if let refusal = try await confirmPassword(form.password, of: visitor, request: request, context: context) { return refusal }
        let (key, secret) = try await accounts.createMirrorKey(visitor.user.username, lifetime: lifetime)
        log("mirror-key-create", by: visitor, context: context, ["key": "\(key.id)"])
        let snippets = SetupSnippets(settings: settings, username: visitor.user.username)
        let created = AccessContent.Created(kind: "mirror key", name: "key \(key.id)", secret: secret, snippets: snippets.dockerDaemon(mirrorKey: secret).map { [$0] } ?? [])
        return try await access(visitor, created: created, notice: nil)
    }

    /// `POST /account/mirror-keys/:id/revoke`: only the visitor's own keys.
    func revokeMirrorKey(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        _ = try await form(PlainForm.self, of: request, for: visitor, context: context)
        guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw PortalError.notFound }
        try await accounts.revokeMirrorKey(id: id, ownedBy: visitor.user)
        log("mirror-key-revoke", by: visitor, context: context, ["key": "\(id)"])
        return PageRenderer.redirect(to: "/account/access?done=key-revoked")
    }

    /// `POST /account/logins/:id/revoke`: ends one of the visitor's own docker logins
    /// (refresh tokens) and the bearer tokens minted with it.
    func revokeLogin(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        _ = try await form(PlainForm.self, of: request, for: visitor, context: context)
        guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw PortalError.notFound }
        try await accounts.revokeRefreshToken(id: id, ownedBy: visitor.user)
        log("login-revoke", by: visitor, context: context, ["login": "\(id)"])
        return PageRenderer.redirect(to: "/account/access?done=login-revoked")
    }

    struct SetupContent: Sendable {
        let snippets: [SetupSnippets.Snippet]
        let mirrorKeysEnabled: Bool
        let endpoint: String
        let username: String
    }

    /// `GET /account/setup`: snippets that need no secret, and buttons that create the
    /// token or key the others need.
    func setupPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let snippets = SetupSnippets(settings: settings, username: visitor.user.username)
        let content = SetupContent(
            snippets: [snippets.dockerLogin(token: nil), snippets.podman()], mirrorKeysEnabled: settings.mirrorDomain != nil,
            endpoint: settings.endpoint, username: visitor.user.username
        )
        return renderer.page("setup", frame: frame("Set up your clients", .setup, for: visitor), content: content)
    }
}
