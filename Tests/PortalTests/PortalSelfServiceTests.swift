import Accounts
import FerryTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// Tokens, mirror keys, setup snippets and password change over HTTP, including CSRF
/// refusals and other users' ids.
@Suite struct PortalSelfServiceTests {
    @Test func aTokenIsShownOnceWithItsSnippetsAndWorksForLogin() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let created = try await client.execute(
                uri: "/account/tokens", method: .post, headers: browser.formHeaders(),
                body: ByteBuffer(string: Browser.form(["csrf": browser.csrf, "name": "laptop <b>", "expires": "90d", "password": PortalHarness.password]))
            )
            #expect(created.status == .created)
            let html = String(buffer: created.body)
            let range = try #require(html.range(of: #"ferry_pat_[A-Za-z0-9_-]{43}"#, options: .regularExpression))
            let secret = String(html[range])
            #expect(html.contains("laptop &lt;b&gt;"), "names are escaped")
            #expect(!html.contains("laptop <b>"))
            #expect(html.contains("docker login mirror.test -u alice --password-stdin"))
            #expect(html.contains("/etc/containerd/certs.d/quay.io/hosts.toml"))
            let tokens = try await harness.accounts.accessTokens("alice")
            #expect(tokens.map(\.name) == ["laptop <b>"])
            #expect(tokens.first?.expiresAt.map { abs($0.timeIntervalSince(harness.clock.now) - 90 * 86400) < 1 } == true)

            // The list shows the token but never the secret again.
            let list = String(buffer: try await client.execute(uri: "/account/access", method: .get, headers: browser.headers).body)
            #expect(list.contains("laptop &lt;b&gt;"))
            #expect(!list.contains(secret))
            #expect(try await harness.users.accessToken(secretHash: SecretToken.hash(secret)) != nil)
        }
    }

    @Test func formsWithoutTheSessionTokenAreRefused() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            for body in ["name=ci&expires=never", "csrf=wrong&name=ci&expires=never", "csrf=\(browser.csrf.dropLast())&name=ci&expires=never"] {
                let response = try await client.execute(uri: "/account/tokens", method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: body))
                #expect(response.status == .forbidden, "\(body)")
                #expect(String(buffer: response.body).contains("The form expired or was sent from another site."))
            }
            let crossSite = try await client.execute(
                uri: "/account/tokens", method: .post, headers: browser.formHeaders(origin: "https://evil.example"),
                body: ByteBuffer(string: "csrf=\(browser.csrf)&name=ci&expires=never")
            )
            #expect(crossSite.status == .forbidden)
            // Another session's token does not work either.
            let other = try await Browser.signIn(client, "alice")
            let mixed = try await client.execute(uri: "/account/tokens", method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: "csrf=\(other.csrf)&name=ci&expires=never"))
            #expect(mixed.status == .forbidden)
            #expect(try await harness.accounts.accessTokens("alice").isEmpty)
            // Without a session, a form goes to the sign-in page.
            let anonymous = try await client.execute(uri: "/account/tokens", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: ByteBuffer(string: "name=ci"))
            #expect(anonymous.status == .seeOther)
        }
    }

    @Test func revokingAnotherUsersTokenOrKeyIsRefused() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.addUser("bob")
        let (bobToken, _) = try await harness.accounts.createAccessToken("bob", name: "bob-ci", lifetime: nil)
        let (bobKey, _) = try await harness.accounts.createMirrorKey("bob")
        let (aliceToken, _) = try await harness.accounts.createAccessToken("alice", name: "alice-ci", lifetime: nil)
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            for uri in ["/account/tokens/\(bobToken.id)/revoke", "/account/mirror-keys/\(bobKey.id)/revoke", "/account/tokens/99999/revoke", "/account/tokens/abc/revoke"] {
                let response = try await client.execute(uri: uri, method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: "csrf=\(browser.csrf)"))
                #expect(response.status == .notFound, "\(uri)")
            }
            #expect(try await harness.users.accessToken(id: bobToken.id)?.revokedAt == nil)
            #expect(try await harness.users.mirrorKeys(userID: bobKey.userID).first?.revokedAt == nil)

            let revoked = try await client.execute(uri: "/account/tokens/\(aliceToken.id)/revoke", method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: "csrf=\(browser.csrf)"))
            #expect(revoked.status == .seeOther)
            #expect(revoked.headers[.location] == "/account/access?done=token-revoked")
            #expect(try await harness.users.accessToken(id: aliceToken.id)?.revokedAt != nil)
            let page = String(buffer: try await client.execute(uri: "/account/access?done=token-revoked", method: .get, headers: browser.headers).body)
            #expect(page.contains("The token was revoked, and the docker logins made with it."))
        }
    }

    @Test func mirrorKeysAreCreatedWithDaemonJSONAndRevoked() async throws {
        let harness = PortalHarness()
        let alice = try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let created = try await client.execute(
                uri: "/account/mirror-keys", method: .post, headers: browser.formHeaders(),
                body: ByteBuffer(string: Browser.form(["csrf": browser.csrf, "password": PortalHarness.password]))
            )
            #expect(created.status == .created)
            let html = String(buffer: created.body)
            let range = try #require(html.range(of: #"[a-z2-7]{52}\.mirror\.test"#, options: .regularExpression))
            #expect(html.contains("/etc/docker/daemon.json"))
            #expect(html.contains("&quot;registry-mirrors&quot;: [&quot;https://\(html[range])&quot;]"))
            let key = try #require(try await harness.users.mirrorKeys(userID: alice.id).first)
            let revoked = try await client.execute(uri: "/account/mirror-keys/\(key.id)/revoke", method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: "csrf=\(browser.csrf)"))
            #expect(revoked.status == .seeOther)
            #expect(try await harness.users.mirrorKeys(userID: alice.id).first?.revokedAt != nil)
        }
    }

    @Test func setupSnippetsAreGeneratedForTheUser() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let html = String(buffer: try await client.execute(uri: "/account/setup", method: .get, headers: browser.headers).body)
            #expect(html.contains("docker login mirror.test -u alice"))
            #expect(html.contains("/etc/containers/registries.conf.d/ferry.conf"))
            #expect(html.contains("location = &quot;mirror.test/quay.io&quot;"))
            #expect(html.contains("Create token and show hosts.toml"))
        }
    }

    @Test func passwordChangeChecksTheCurrentPasswordAndEndsOtherSessions() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let other = try await Browser.signIn(client, "alice")
            func change(_ fields: [String: String]) async throws -> TestResponse {
                try await client.execute(
                    uri: "/account/password", method: .post, headers: browser.formHeaders(),
                    body: ByteBuffer(string: Browser.form(fields.merging(["csrf": browser.csrf]) { $1 }))
                )
            }
            for (fields, status, message) in [
                (["current": "wrong-password-1", "new": "new-horse-battery-7", "confirm": "new-horse-battery-7"], HTTPResponse.Status.unauthorized, "Your current password is wrong."),
                (["current": PortalHarness.password, "new": "new-horse-battery-7", "confirm": "other-horse-battery-7"], .badRequest, "differ"),
                (["current": PortalHarness.password, "new": "short", "confirm": "short"], .badRequest, "Password is too short"),
            ] {
                let response = try await change(fields)
                #expect(response.status == status)
                #expect(String(buffer: response.body).contains(message), "\(message)")
            }
            let changed = try await change(["current": PortalHarness.password, "new": "new-horse-battery-7", "confirm": "new-horse-battery-7"])
            #expect(changed.status == .ok)
            #expect(String(buffer: changed.body).contains("Your password was changed."))
            let fresh = try #require(Browser.cookieValue(changed, SessionCookieName.session))
            try await client.execute(uri: "/account", method: .get, headers: other.headers) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/account", method: .get, headers: browser.headers) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/account", method: .get, headers: [.cookie: "\(SessionCookieName.session)=\(fresh)"]) { #expect($0.status == .ok) }
            _ = try await Browser.signIn(client, "alice", password: "new-horse-battery-7")
        }
    }

    @Test func unknownPagesAndTooManyRequestsGetPages() async throws {
        var harness = PortalHarness()
        harness.requestsPerMinute = 5
        try await harness.run { client in
            let missing = try await client.execute(uri: "/account/nope", method: .get)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "text/html; charset=utf-8")
            #expect(String(buffer: missing.body).contains("There is no such page."))
            let css = try await client.execute(uri: "/account/static/portal.css", method: .get)
            #expect(css.status == .ok && css.headers[.contentType] == "text/css; charset=utf-8")
            var statuses: [Int] = []
            for _ in 0..<4 { statuses.append(try await client.execute(uri: "/account/sign-in", method: .get).status.code) }
            #expect(statuses == [200, 200, 200, 429])
        }
    }
}

/// Every form, one by one: without the session's token it is refused and changes nothing.
@Suite struct PortalFormForgeryTests {
    @Test func everyFormRefusesAMissingOrWrongToken() async throws {
        let harness = PortalHarness()
        try await harness.addUser("root", role: .admin)
        try await harness.addUser("bob")
        let (token, _) = try await harness.accounts.createAccessToken("root", name: "ci", lifetime: nil)
        let (key, _) = try await harness.accounts.createMirrorKey("root")
        try await harness.run { client in
            let admin = try await Browser.signIn(client, "root")
            let forms: [(String, String)] = [
                ("/account/sign-out", ""),
                ("/account/sign-out-everywhere", ""),
                ("/account/tokens", "name=x&expires=never"),
                ("/account/tokens/\(token.id)/revoke", ""),
                ("/account/mirror-keys", ""),
                ("/account/mirror-keys/\(key.id)/revoke", ""),
                ("/account/password", "current=\(PortalHarness.password)&new=another-horse-7&confirm=another-horse-7"),
                ("/account/admin/users/bob/status", "status=suspended"),
                ("/account/admin/payments", "username=bob&amount=3&reference=x"),
            ]
            for (uri, fields) in forms {
                for csrf in ["", "&csrf=forged"] {
                    let response = try await client.execute(uri: uri, method: .post, headers: admin.formHeaders(), body: ByteBuffer(string: fields + csrf))
                    #expect(response.status == .forbidden, "\(uri) \(csrf)")
                }
            }
            try await client.execute(uri: "/account", method: .get, headers: admin.headers) { #expect($0.status == .ok, "still signed in") }
        }
        #expect(try await harness.accounts.accessTokens("root").map(\.revokedAt) == [nil])
        #expect(try await harness.accounts.mirrorKeys("root").map(\.revokedAt) == [nil])
        #expect(try await harness.users.user(named: "bob")?.status == .active)
        #expect(try await harness.audit.recent(limit: 5).isEmpty)
    }

    @Test func signOutEverywhereEndsEverySessionAndTheTrailingSlashWorks() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let laptop = try await Browser.signIn(client, "alice")
            let phone = try await Browser.signIn(client, "alice")
            try await client.execute(uri: "/account/", method: .get, headers: phone.headers) { #expect($0.status == .ok) }
            let response = try await client.execute(uri: "/account/sign-out-everywhere", method: .post, headers: phone.formHeaders(), body: ByteBuffer(string: "csrf=\(phone.csrf)"))
            #expect(response.status == .seeOther)
            for browser in [laptop, phone] {
                try await client.execute(uri: "/account", method: .get, headers: browser.headers) { #expect($0.status == .seeOther) }
            }
        }
    }
}
