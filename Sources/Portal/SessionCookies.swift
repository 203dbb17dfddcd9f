import Foundation
import Hummingbird

/// The portal's cookies: `ferry_session` (the session's secret id) and `ferry_signin`
/// (the sign-in form's CSRF token, before there is a session). Both are `HttpOnly`,
/// scoped to `/account`, and `Secure` whenever the browser reached Ferry over HTTPS.
struct SessionCookies: Sendable {
    static let session = "ferry_session"
    static let signIn = "ferry_signin"
    static let path = "/account"

    let settings: PortalSettings
    /// How long the session cookie is kept (the session's absolute lifetime).
    let lifetime: TimeInterval

    /// Whether cookies for this request must be `Secure`: Ferry serves TLS, its public
    /// URL is HTTPS, or a trusted proxy says the client used HTTPS.
    func isSecure(forwardedBase: String?) -> Bool {
        settings.servesTLS || settings.publicURL.scheme == "https" || forwardedBase?.hasPrefix("https://") == true
    }

    func sessionCookie(_ secret: String, forwardedBase: String?) -> Cookie {
        Cookie(name: Self.session, value: secret, maxAge: Int(lifetime), path: Self.path, secure: isSecure(forwardedBase: forwardedBase), httpOnly: true, sameSite: .lax)
    }

    func signInCookie(_ token: String, forwardedBase: String?) -> Cookie {
        Cookie(name: Self.signIn, value: token, maxAge: 3600, path: Self.path, secure: isSecure(forwardedBase: forwardedBase), httpOnly: true, sameSite: .strict)
    }

    /// A cookie that makes the browser forget `name`.
    func expired(_ name: String, forwardedBase: String?) -> Cookie {
        Cookie(name: name, value: "", maxAge: 0, path: Self.path, secure: isSecure(forwardedBase: forwardedBase), httpOnly: true, sameSite: .lax)
    }
}
