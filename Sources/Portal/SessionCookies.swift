import Foundation
import Hummingbird

/// The portal's cookies: `ferry_session` (the session's secret id), `ferry_signin`
/// (the sign-in form's CSRF token, before there is a session) and `ferry_device` (a
/// random id set at a successful sign-in: a browser holding it is a place its user
/// signed in from before, which guesses from elsewhere never lock out). All are
/// `HttpOnly`.
///
/// Over HTTPS they are `Secure` and named with the `__Host-` prefix, which browsers
/// accept only with `Secure`, `Path=/` and no `Domain`: a sibling host under the same
/// domain (a mirror-key host serving upstream content) cannot set or overwrite them.
/// Over plain HTTP (a private network) they keep their plain names, scoped to `/account`.
struct SessionCookies: Sendable {
    static let session = "ferry_session"
    static let signIn = "ferry_signin"
    static let device = "ferry_device"
    static let path = "/account"
    /// How long the device cookie is kept (and how long a sign-in place stays known).
    static let deviceLifetime = 90 * 86400

    let settings: PortalSettings
    /// How long the session cookie is kept (the session's absolute lifetime).
    let lifetime: TimeInterval

    /// Whether cookies for this request must be `Secure`: Ferry serves TLS, its public
    /// URL is HTTPS, or a trusted proxy says the client used HTTPS.
    func isSecure(forwardedBase: String?) -> Bool {
        settings.servesTLS || settings.publicURL.scheme == "https" || forwardedBase?.hasPrefix("https://") == true
    }

    /// The name cookie `base` goes by on this request.
    func name(_ base: String, forwardedBase: String?) -> String {
        isSecure(forwardedBase: forwardedBase) ? "__Host-" + base : base
    }

    /// The value of cookie `base` in `request`, under the name it must have here.
    func value(_ base: String, in request: Request, forwardedBase: String?) -> String? {
        request.cookies[name(base, forwardedBase: forwardedBase)]?.value
    }

    func sessionCookie(_ secret: String, forwardedBase: String?) -> Cookie {
        cookie(Self.session, secret, maxAge: Int(lifetime), sameSite: .lax, forwardedBase: forwardedBase)
    }

    func signInCookie(_ token: String, forwardedBase: String?) -> Cookie {
        cookie(Self.signIn, token, maxAge: 3600, sameSite: .strict, forwardedBase: forwardedBase)
    }

    func deviceCookie(_ secret: String, forwardedBase: String?) -> Cookie {
        cookie(Self.device, secret, maxAge: Self.deviceLifetime, sameSite: .strict, forwardedBase: forwardedBase)
    }

    /// A cookie that makes the browser forget `base`.
    func expired(_ base: String, forwardedBase: String?) -> Cookie {
        cookie(base, "", maxAge: 0, sameSite: .lax, forwardedBase: forwardedBase)
    }

    private func cookie(_ base: String, _ value: String, maxAge: Int, sameSite: Cookie.SameSite, forwardedBase: String?) -> Cookie {
        let secure = isSecure(forwardedBase: forwardedBase)
        return Cookie(
            name: name(base, forwardedBase: forwardedBase), value: value, maxAge: maxAge, path: secure ? "/" : Self.path, secure: secure, httpOnly: true,
            sameSite: sameSite
        )
    }
}
