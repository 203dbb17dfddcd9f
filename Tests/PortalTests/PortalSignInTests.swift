import Accounts
import FerryTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Signing in and out over HTTP: cookies, CSRF on the sign-in form, wrong passwords,
/// the throttle, suspended users, access tokens refused, sessions ending.
@Suite struct PortalSignInTests {
    @Test func signInSetsAStrictSessionCookieAndSignOutEndsIt() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            try await client.execute(uri: "/account", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/account/sign-in")
            }
            let (signInCookie, token) = try await Browser.signInForm(client)
            let response = try await client.execute(
                uri: "/account/sign-in", method: .post, headers: [.cookie: signInCookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: Browser.form(["csrf": token, "username": "alice", "password": PortalHarness.password]))
            )
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/account")
            let cookie = try #require(Browser.setCookie(response, SessionCookieName.session))
            #expect(cookie.contains("HttpOnly"))
            #expect(cookie.contains("SameSite=Lax"))
            #expect(cookie.contains("Path=/account"))
            #expect(!cookie.contains("Secure"), "plain-HTTP public URL: \(cookie)")
            #expect(Browser.setCookie(response, SessionCookieName.signIn)?.contains("Max-Age=0") == true)

            let browser = try await Browser.signIn(client, "alice")
            let dashboard = try await client.execute(uri: "/account", method: .get, headers: browser.headers)
            #expect(dashboard.status == .ok)
            let html = String(buffer: dashboard.body)
            #expect(html.contains("alice"))
            #expect(dashboard.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            #expect(dashboard.headers[.cacheControl] == "no-store")

            let signOut = try await client.execute(
                uri: "/account/sign-out", method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: "csrf=\(browser.csrf)")
            )
            #expect(signOut.status == .seeOther)
            #expect(signOut.headers[.location] == "/account/sign-in?signed-out=1")
            try await client.execute(uri: "/account", method: .get, headers: browser.headers) { #expect($0.status == .seeOther) }
        }
        #expect(try await harness.users.allUsers().count == 1)
    }

    /// Over HTTPS the cookies are `Secure` and carry the `__Host-` prefix (review H2):
    /// `Path=/`, no `Domain`, so a sibling host (a mirror-key host) cannot set them; a
    /// plain `ferry_session` cookie, which such a host could set, is not read.
    @Test func cookiesAreSecureAndHostOnlyWhenThePublicURLIsHTTPS() async throws {
        var harness = PortalHarness()
        harness.publicURL = URL(string: "https://mirror.test")!
        try await harness.addUser("alice")
        try await harness.run { client in
            let page = try await client.execute(uri: "/account/sign-in", method: .get)
            let signIn = try #require(Browser.setCookie(page, "__Host-" + SessionCookieName.signIn))
            let attributes = signIn.components(separatedBy: "; ")
            #expect(attributes.contains("Secure") && attributes.contains("Path=/") && !signIn.contains("Domain"), "\(signIn)")
            #expect(Browser.setCookie(page, SessionCookieName.signIn) == nil)
            let value = try #require(Browser.cookieValue(page, "__Host-" + SessionCookieName.signIn))
            let token = try #require(Browser.csrfToken(in: String(buffer: page.body)))
            let response = try await client.execute(
                uri: "/account/sign-in", method: .post, headers: [.cookie: "__Host-\(SessionCookieName.signIn)=\(value)", .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: Browser.form(["csrf": token, "username": "alice", "password": PortalHarness.password]))
            )
            #expect(response.status == .seeOther)
            let session = try #require(Browser.setCookie(response, "__Host-" + SessionCookieName.session))
            #expect(session.components(separatedBy: "; ").contains("Path=/") && session.contains("Secure"), "\(session)")
            let secret = try #require(Browser.cookieValue(response, "__Host-" + SessionCookieName.session))
            try await client.execute(uri: "/account", method: .get, headers: [.cookie: "__Host-\(SessionCookieName.session)=\(secret)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/account", method: .get, headers: [.cookie: "\(SessionCookieName.session)=\(secret)"]) {
                #expect($0.status == .seeOther, "a cookie without the prefix is not the session cookie over HTTPS")
            }
        }
    }

    @Test func wrongPasswordsAreRefusedThenThrottled() async throws {
        var harness = PortalHarness()
        harness.throttle = LoginThrottle(maxFailures: 3, window: 600, baseLockout: 60, maxLockout: 600)
        try await harness.addUser("alice")
        let clock = harness.clock
        try await harness.run { client in
            let (cookie, token) = try await Browser.signInForm(client)
            func attempt(_ password: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/account/sign-in", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: Browser.form(["csrf": token, "username": "alice", "password": password]))
                )
            }
            for _ in 0..<3 {
                let refused = try await attempt("wrong-password-1")
                #expect(refused.status == .unauthorized)
                #expect(String(buffer: refused.body).contains("Wrong username or password."))
                #expect(Browser.setCookie(refused, SessionCookieName.session) == nil)
            }
            let throttled = try await attempt(PortalHarness.password)
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] == "60")
            #expect(String(buffer: throttled.body).contains("Too many failed sign-ins. Try again in 60 seconds."))
            clock.advance(by: 61)
            #expect(try await attempt(PortalHarness.password).status == .seeOther)
        }
    }

    @Test func accessTokensAndEmptyFieldsAreRefusedWithAClearMessage() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        let (_, secret) = try await harness.accounts.createAccessToken("alice", name: "ci", lifetime: nil)
        try await harness.run { client in
            let (cookie, token) = try await Browser.signInForm(client)
            for (password, message) in [(secret, "That is an access token."), ("", "Enter your username and password.")] {
                let response = try await client.execute(
                    uri: "/account/sign-in", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: Browser.form(["csrf": token, "username": "alice", "password": password]))
                )
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains(message))
            }
        }
    }

    @Test func theSignInFormIsProtectedAgainstForgery() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let (cookie, token) = try await Browser.signInForm(client)
            let body = Browser.form(["csrf": token, "username": "alice", "password": PortalHarness.password])
            // No sign-in cookie: the form did not come from our page.
            try await client.execute(uri: "/account/sign-in", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: body)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("did not send the sign-in cookie"))
            }
            // A token that does not match the cookie.
            let forged = Browser.form(["csrf": (token.hasPrefix("x") ? "y" : "x") + token.dropFirst(), "username": "alice", "password": PortalHarness.password])
            try await client.execute(uri: "/account/sign-in", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: forged)) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("The form expired or was sent from another site."))
            }
            // Another site's origin.
            try await client.execute(
                uri: "/account/sign-in", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded", .origin: "https://evil.example"],
                body: ByteBuffer(string: body)
            ) { #expect($0.status == .forbidden) }
            // The same form from our origin works.
            try await client.execute(
                uri: "/account/sign-in", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded", .origin: "http://mirror.test"],
                body: ByteBuffer(string: body)
            ) { #expect($0.status == .seeOther) }
        }
    }

    @Test func suspendedUsersCannotSignInAndTheirSessionsEnd() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.addUser("bob")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            _ = try await harness.accounts.setStatus("alice", .suspended)
            try await client.execute(uri: "/account", method: .get, headers: browser.headers) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/account/sign-in")
            }
            let (cookie, token) = try await Browser.signInForm(client)
            let response = try await client.execute(
                uri: "/account/sign-in", method: .post, headers: [.cookie: cookie, .contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: Browser.form(["csrf": token, "username": "alice", "password": PortalHarness.password]))
            )
            #expect(response.status == .forbidden)
            #expect(String(buffer: response.body).contains("Your account is suspended."))

            // A session left over from before the suspension (written around the
            // account service) is refused on its next request too.
            let bob = try await Browser.signIn(client, "bob")
            let user = try #require(try await harness.users.user(named: "bob"))
            try await harness.users.updateStatus(userID: user.id, status: .suspended, now: harness.clock.now)
            try await client.execute(uri: "/account", method: .get, headers: bob.headers) { #expect($0.status == .seeOther) }
        }
    }

    @Test func sessionsEndAfterIdlingAndAfterAPasswordChangeByTheOperator() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            harness.clock.advance(by: 11 * 3600)
            try await client.execute(uri: "/account", method: .get, headers: browser.headers) { #expect($0.status == .ok) }
            harness.clock.advance(by: 12 * 3600 + 1)
            try await client.execute(uri: "/account", method: .get, headers: browser.headers) { #expect($0.status == .seeOther) }

            let again = try await Browser.signIn(client, "alice")
            try await harness.accounts.setPassword("alice", password: "another-horse-7")
            try await client.execute(uri: "/account", method: .get, headers: again.headers) { #expect($0.status == .seeOther) }
        }
    }
}
