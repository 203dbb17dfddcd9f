import Accounts
import Foundation
import Hummingbird

/// Self-service access: personal access tokens, mirror keys and setup snippets.
extension Portal {
    struct CreateTokenForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let name: String?
        let expires: String?
    }

    struct PlainForm: Decodable, CSRFProtectedForm {
        let csrf: String?
    }

    /// Token lifetimes the form offers.
    static let tokenLifetimes: [String: TimeInterval?] = ["30d": 30 * 86400, "90d": 90 * 86400, "365d": 365 * 86400, "never": nil]

    /// `GET /account/access`.
    func accessPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        var notice: String?
        switch request.uri.queryParameters["done"] {
        case "token-revoked": notice = "The token was revoked. Clients using it can no longer log in."
        case "key-revoked": notice = "The mirror key was revoked. Its host name stops working within seconds."
        default: break
        }
        return try await access(visitor, created: nil, notice: notice)
    }

    /// The access page, optionally with a secret just created.
    func access(_ visitor: SignedIn, created: AccessContent.Created?, notice: String?) async throws -> Response {
        let tokens = try await accounts.accessTokens(of: visitor.user)
        let keys = try await accounts.mirrorKeys(of: visitor.user)
        var frame = frame("Access tokens and mirror keys", .access, for: visitor)
        frame.notice = notice
        let content = AccessContent(tokens: tokens, keys: keys, mirrorKeysEnabled: settings.mirrorDomain != nil, created: created, now: now())
        return renderer.page("access", frame: frame, content: content, status: created == nil ? .ok : .created)
    }

    /// `POST /account/tokens`: creates a token and shows it once with its snippets.
    func createToken(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let form = try await form(CreateTokenForm.self, of: request, for: visitor, context: context)
        let name = (form.name ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !name.isEmpty, name.count <= 100 else { throw PortalError.badRequest("Give the token a name of 1 to 100 characters, such as laptop or ci.") }
        guard let lifetime = Self.tokenLifetimes[form.expires ?? "never"] else { throw PortalError.badRequest("Choose when the token expires.") }
        let (token, secret) = try await accounts.createAccessToken(visitor.user.username, name: name, lifetime: lifetime)
        log("token-create", by: visitor, context: context, ["token": "\(token.id)"])
        let snippets = SetupSnippets(settings: settings, username: visitor.user.username)
        let created = AccessContent.Created(kind: "access token", name: name, secret: secret, snippets: [snippets.dockerLogin(token: secret)] + snippets.containerd(token: secret))
        return try await access(visitor, created: created, notice: nil)
    }

    /// `POST /account/tokens/:id/revoke`: only the visitor's own tokens.
    func revokeToken(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        _ = try await form(PlainForm.self, of: request, for: visitor, context: context)
        guard let id = context.parameters.get("id").flatMap(Int64.init) else { throw PortalError.notFound }
        try await accounts.revokeAccessToken(id: id, ownedBy: visitor.user)
        log("token-revoke", by: visitor, context: context, ["token": "\(id)"])
        return PageRenderer.redirect(to: "/account/access?done=token-revoked")
    }

    /// `POST /account/mirror-keys`: creates a key and shows it once with `daemon.json`.
    func createMirrorKey(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        _ = try await form(PlainForm.self, of: request, for: visitor, context: context)
        guard settings.mirrorDomain != nil else { throw PortalError.badRequest("Mirror host names are not enabled on this Ferry; use docker login instead.") }
        let (key, secret) = try await accounts.createMirrorKey(visitor.user.username)
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
