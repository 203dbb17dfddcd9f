import Accounts
import Foundation
import HTTPTypes
import Hummingbird

/// Signing in and out.
extension Portal {
    struct SignInForm: Decodable {
        let csrf: String?
        let username: String?
        let password: String?
    }

    struct SignOutForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        /// `credentials`: also revoke every access token, mirror key and docker login.
        let revoke: String?
    }

    struct SignInContent: Sendable {
        let username: String
    }

    /// `GET /account/sign-in`: the form, with a fresh sign-in token in a cookie (a
    /// signed-in browser goes straight to the dashboard).
    func signInPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        if let secret = cookies.value(SessionCookies.session, in: request, forwardedBase: context.forwardedBase), try await sessions.resume(secret: secret) != nil {
            return PageRenderer.redirect(to: "/account")
        }
        let token = PortalSessions.makeFormToken()
        var frame = PageFrame(title: "Sign in", visitor: nil, csrfToken: token, section: .none)
        if request.uri.queryParameters["signed-out"] != nil { frame.notice = "You have signed out." }
        var response = renderer.page("sign-in", frame: frame, content: SignInContent(username: ""))
        response.setCookie(cookies.signInCookie(token, forwardedBase: context.forwardedBase))
        return response
    }

    /// `POST /account/sign-in`: checks the password with the token service's throttle
    /// and starts a session.
    func signIn(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let form = try await decodeForm(SignInForm.self, request)
        guard let expected = cookies.value(SessionCookies.signIn, in: request, forwardedBase: context.forwardedBase) else {
            throw PortalError.badRequest("Your browser did not send the sign-in cookie. Allow cookies for this site, reload the sign-in page and try again.")
        }
        try guardian.check(request, submitted: form.csrf, expected: expected, forwardedBase: context.forwardedBase)
        let username = (form.username ?? "").trimmingCharacters(in: .whitespaces).lowercased()
        let password = form.password ?? ""
        func failed(_ message: String, _ status: HTTPResponse.Status) -> Response {
            var frame = PageFrame(title: "Sign in", visitor: nil, csrfToken: expected, section: .none)
            frame.error = message
            return renderer.page("sign-in", frame: frame, content: SignInContent(username: String(username.prefix(64))), status: status)
        }
        guard !username.isEmpty, !password.isEmpty else { return failed("Enter your username and password.", .badRequest) }
        if password.hasPrefix("ferry_pat_") {
            return failed("That is an access token. Access tokens work with docker login and other clients; sign in here with your password.", .badRequest)
        }
        guard User.isAcceptableLogin(username) else { return failed("That is not a username.", .badRequest) }
        // A browser that signed in before carries a device cookie: guesses from elsewhere
        // never lock it out. One that does not gets a new one if this sign-in succeeds.
        let knownDevice = device(of: request, context: context)
        let device = knownDevice ?? PortalSessions.makeFormToken()
        switch try await authenticator.authenticate(username: username, secret: password, clientAddress: context.clientNetwork, device: device) {
        case .authenticated(let user, via: .password):
            _ = try? await sessions.removeStale()
            let (session, secret) = try await sessions.start(for: user, userAgent: request.headers[.userAgent], clientAddress: context.clientAddress)
            context.noteUser(user.username)
            log("sign-in", by: SignedIn(session: session, user: user), context: context, ["client": "\(context.clientAddress ?? "-")"])
            var response = PageRenderer.redirect(to: "/account")
            response.setCookie(cookies.sessionCookie(secret, forwardedBase: context.forwardedBase))
            response.setCookie(cookies.expired(SessionCookies.signIn, forwardedBase: context.forwardedBase))
            response.setCookie(cookies.deviceCookie(device, forwardedBase: context.forwardedBase))
            return response
        case .authenticated:
            // Only a password signs in here (a token-shaped secret never gets this far).
            return failed("Sign in with your password.", .badRequest)
        case .rejected:
            return failed("Wrong username or password.", .unauthorized)
        case .suspended:
            return failed("Your account is suspended. Contact the operator to resume it.", .forbidden)
        case .throttled(let retryAfter):
            var response = failed("Too many failed sign-ins. Try again in \(retryAfter) seconds.", .tooManyRequests)
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
    }

    /// `POST /account/sign-out-everywhere`: ends every session of the user, this one
    /// included (a lost laptop, a shared computer), and with `revoke=credentials` every
    /// access token, mirror key and docker login too (a session cookie may have minted
    /// some while it was in other hands).
    func signOutEverywhere(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let form = try await form(SignOutForm.self, of: request, for: visitor, context: context)
        let revokesCredentials = form.revoke == "credentials"
        if revokesCredentials { try await accounts.revokeCredentials(of: visitor.user) }
        try await sessions.endAll(for: visitor.user)
        log("sign-out-everywhere", by: visitor, context: context, ["credentials-revoked": "\(revokesCredentials)"])
        var response = PageRenderer.redirect(to: "/account/sign-in?signed-out=1")
        response.setCookie(cookies.expired(SessionCookies.session, forwardedBase: context.forwardedBase))
        return response
    }

    /// `POST /account/sign-out`: ends this session.
    func signOut(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        _ = try await form(SignOutForm.self, of: request, for: visitor, context: context)
        try await sessions.end(visitor.session)
        log("sign-out", by: visitor, context: context)
        var response = PageRenderer.redirect(to: "/account/sign-in?signed-out=1")
        response.setCookie(cookies.expired(SessionCookies.session, forwardedBase: context.forwardedBase))
        return response
    }
}
