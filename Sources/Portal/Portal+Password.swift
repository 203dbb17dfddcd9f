import Accounts
import Foundation
import HTTPTypes
import Hummingbird

/// Changing one's own password.
extension Portal {
    struct PasswordForm: Decodable, CSRFProtectedForm {
        let csrf: String?
        let current: String?
        let new: String?
        let confirm: String?
        /// `credentials`: also revoke every access token, mirror key and docker login.
        let revoke: String?
    }

    /// `GET /account/password`.
    func passwordPage(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        return renderer.page("password", frame: frame("Change password", .password, for: visitor))
    }

    /// `POST /account/password`: checks the current password (throttled like sign-in),
    /// sets the new one, which ends every session and refresh token of the user, and
    /// starts a fresh session for this browser.
    func changePassword(_ request: Request, context: some PortalRequestContext) async throws -> Response {
        let visitor = try await signedIn(request, context: context)
        let form = try await form(PasswordForm.self, of: request, for: visitor, context: context)
        func failed(_ message: String, _ status: HTTPResponse.Status) -> Response {
            var page = frame("Change password", .password, for: visitor)
            page.error = message
            return renderer.page("password", frame: page, status: status)
        }
        let current = form.current ?? ""
        let new = form.new ?? ""
        guard !current.isEmpty, !new.isEmpty else { return failed("Enter your current password and a new one.", .badRequest) }
        guard new == form.confirm else { return failed("The new password and its confirmation differ.", .badRequest) }
        guard !SecretToken.looksLikeAccessToken(current) else { return failed("Enter your current password, not an access token.", .badRequest) }
        do {
            try User.validate(password: new, username: visitor.user.username)
        } catch {
            return failed(error.description.asSentence, .badRequest)
        }
        switch try await authenticator.authenticate(
            username: visitor.user.username, secret: current, clientAddress: context.clientNetwork, device: device(of: request, context: context)
        ) {
        case .authenticated:
            break
        case .rejected:
            return failed("Your current password is wrong.", .unauthorized)
        case .suspended:
            throw PortalError.signInRequired
        case .throttled(let retryAfter):
            var response = failed("Too many wrong passwords. Try again in \(retryAfter) seconds.", .tooManyRequests)
            response.headers[.retryAfter] = String(retryAfter)
            return response
        }
        let revokesCredentials = form.revoke == "credentials"
        if revokesCredentials { try await accounts.revokeCredentials(of: visitor.user) }
        try await accounts.setPassword(visitor.user.username, password: new)
        let changedUser = try await accounts.user(visitor.user.username)  // its new password epoch
        let (session, secret) = try await sessions.start(for: changedUser, userAgent: request.headers[.userAgent], clientAddress: context.clientAddress)
        log("password-change", by: visitor, context: context, ["credentials-revoked": "\(revokesCredentials)"])
        var changed = PageFrame(
            title: "Change password", visitor: .init(username: visitor.user.username, isAdmin: visitor.user.role == .admin),
            csrfToken: session.csrfToken, section: .password
        )
        changed.notice = revokesCredentials
            ? "Your password was changed. Your other browsers were signed out, and every access token, mirror key and docker login was revoked."
            : "Your password was changed. Your other browsers were signed out and docker logins need the new password."
        var response = renderer.page("password", frame: changed)
        response.setCookie(cookies.sessionCookie(secret, forwardedBase: context.forwardedBase))
        return response
    }
}
