import Accounts
import FerryTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The portal and the credentials a session can reach (review S1, S5, S12, S14): docker
/// logins listed and revocable, minting asks for the password and expires, sign-out
/// everywhere and a password change can end every credential, names and counts bounded.
@Suite struct PortalCredentialSafetyTests {
    static let basicAlice: HTTPFields = [.authorization: "Basic " + Data("alice:\(PortalHarness.password)".utf8).base64EncodedString()]

    func post(_ client: any TestClientProtocol, _ uri: String, _ browser: Browser, _ fields: [String: String]) async throws -> TestResponse {
        try await client.execute(
            uri: uri, method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: Browser.form(fields.merging(["csrf": browser.csrf]) { $1 }))
        )
    }

    /// Review S5: a session cookie alone minted never-expiring tokens and keys.
    @Test func mintingACredentialNeedsTheCurrentPassword() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            for fields in [["name": "laptop", "expires": "90d"], ["name": "laptop", "expires": "90d", "password": "wrong-password-1"]] {
                let response = try await post(client, "/account/tokens", browser, fields)
                #expect(response.status == (fields["password"] == nil ? .badRequest : .unauthorized))  // before: 201
            }
            for fields in [[String: String](), ["password": "wrong-password-1"]] {
                let response = try await post(client, "/account/mirror-keys", browser, fields)
                #expect(response.status != .created)
            }
            #expect(try await harness.accounts.accessTokens("alice").isEmpty)
            #expect(try await harness.accounts.mirrorKeys("alice").isEmpty)
        }
    }

    /// Review S5: no "never"; the default is 90 days and the page shows it.
    @Test func portalCredentialsExpireNinetyDaysOutByDefault() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let page = String(buffer: try await client.execute(uri: "/account/access", method: .get, headers: browser.headers).body)
            #expect(page.contains(#"<option value="90d" selected>in 90 days</option>"#))
            #expect(!page.contains("never</option>"))
            #expect(try await post(client, "/account/tokens", browser, ["name": "ci", "expires": "never", "password": PortalHarness.password]).status == .badRequest)
            #expect(try await post(client, "/account/tokens", browser, ["name": "ci", "password": PortalHarness.password]).status == .created)
            #expect(try await post(client, "/account/mirror-keys", browser, ["password": PortalHarness.password]).status == .created)
            let day = harness.clock.now.addingTimeInterval(90 * 86400)
            #expect(try await harness.accounts.accessTokens("alice").first?.expiresAt.map { abs($0.timeIntervalSince(day)) < 1 } == true)
            #expect(try await harness.accounts.mirrorKeys("alice").first?.expiresAt.map { abs($0.timeIntervalSince(day)) < 1 } == true)
            let listed = String(buffer: try await client.execute(uri: "/account/access", method: .get, headers: browser.headers).body)
            #expect(listed.contains(AccessContentDate.format(day)))
        }
    }

    /// Review S1: docker logins are listed on the access page (what made them, where they
    /// were last used) and a subscriber revokes one there.
    @Test func dockerLoginsAreListedAndRevokedOnTheAccessPage() async throws {
        let harness = PortalHarness()
        let alice = try await harness.addUser("alice")
        let (pat, _) = try await harness.accounts.createAccessToken("alice", name: "laptop", lifetime: nil)
        let fromPassword = try await harness.accounts.issueRefreshToken(for: alice, clientID: "docker")
        _ = try await harness.accounts.issueRefreshToken(for: alice, clientID: "buildkit", credential: .accessToken(id: pat.id))
        _ = try await harness.accounts.redeemRefreshToken(fromPassword, clientAddress: "203.0.113.7")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let page = String(buffer: try await client.execute(uri: "/account/access", method: .get, headers: browser.headers).body)
            #expect(page.contains("Docker logins"))
            #expect(page.contains("<td>docker</td><td>password</td>"))
            #expect(page.contains("<td>buildkit</td><td>token laptop</td>"))
            #expect(page.contains("203.0.113.7"))
            let login = try #require(try await harness.accounts.refreshTokens("alice").first { $0.clientID == "docker" })
            #expect(page.contains("/account/logins/\(login.id)/revoke"))
            let revoked = try await post(client, "/account/logins/\(login.id)/revoke", browser, [:])
            #expect(revoked.status == .seeOther && revoked.headers[.location] == "/account/access?done=login-revoked")
            #expect(try await harness.accounts.redeemRefreshToken(fromPassword, clientAddress: nil) == nil)
        }
    }

    /// Review S1: another user's docker login cannot be revoked by id.
    @Test func anotherUsersDockerLoginIsNotFound() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        let bob = try await harness.addUser("bob")
        let bobs = try await harness.accounts.issueRefreshToken(for: bob, clientID: "docker")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let id = try #require(try await harness.accounts.refreshTokens("bob").first?.id)
            #expect(try await post(client, "/account/logins/\(id)/revoke", browser, [:]).status == .notFound)
            #expect(try await harness.accounts.redeemRefreshToken(bobs, clientAddress: nil) != nil)
        }
    }

    /// Review S5: sign-out everywhere and a password change can end every credential too.
    @Test func signOutEverywhereAndAPasswordChangeCanRevokeEveryCredential() async throws {
        let harness = PortalHarness()
        let alice = try await harness.addUser("alice")
        try await harness.run { client in
            var browser = try await Browser.signIn(client, "alice")
            #expect(try await post(client, "/account/tokens", browser, ["name": "stolen", "password": PortalHarness.password]).status == .created)
            #expect(try await post(client, "/account/mirror-keys", browser, ["password": PortalHarness.password]).status == .created)
            let login = try await harness.accounts.issueRefreshToken(for: alice, clientID: "docker")
            let everywhere = try await post(client, "/account/sign-out-everywhere", browser, ["revoke": "credentials"])
            #expect(everywhere.status == .seeOther)
            #expect(try await harness.accounts.accessTokens("alice").allSatisfy { $0.revokedAt != nil })
            #expect(try await harness.accounts.mirrorKeys("alice").allSatisfy { $0.revokedAt != nil })
            #expect(try await harness.accounts.redeemRefreshToken(login, clientAddress: nil) == nil)

            browser = try await Browser.signIn(client, "alice")
            #expect(try await post(client, "/account/tokens", browser, ["name": "again", "password": PortalHarness.password]).status == .created)
            let changed = try await post(
                client, "/account/password", browser,
                ["current": PortalHarness.password, "new": "new-horse-battery-7", "confirm": "new-horse-battery-7", "revoke": "credentials"]
            )
            #expect(changed.status == .ok)
            #expect(String(buffer: changed.body).contains("every access token, mirror key and docker login was revoked"))
            #expect(try await harness.accounts.accessTokens("alice").allSatisfy { $0.revokedAt != nil })
        }
    }

    /// Review S12: names with control characters would reach the operator's terminal.
    @Test func tokenNamesWithControlCharactersAreRefused() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let response = try await post(client, "/account/tokens", browser, ["name": "ci\u{1B}[8m", "password": PortalHarness.password])
            #expect(response.status == .badRequest)  // before: 201
            #expect(String(buffer: response.body).contains("control characters"))
            #expect(try await harness.accounts.accessTokens("alice").isEmpty)
        }
        await #expect(throws: AccountsError.self) { _ = try await harness.accounts.createAccessToken("alice", name: "x\u{7}", lifetime: nil) }
    }

    /// Review S14: sessions, access tokens and mirror keys are bounded per user.
    @Test func sessionsTokensAndKeysAreBoundedPerUser() async throws {
        let harness = PortalHarness()
        let alice = try await harness.addUser("alice")
        try await harness.run { client in
            for _ in 0..<30 { _ = try await Browser.signIn(client, "alice") }
        }
        #expect(harness.users.sessions(userID: alice.id).count == PortalSessions.sessionsPerUser)  // before: 30
        for index in 0..<AccountService.accessTokensPerUser { _ = try await harness.accounts.createAccessToken("alice", name: "t\(index)", lifetime: nil) }
        await #expect(throws: AccountsError.self) { _ = try await harness.accounts.createAccessToken("alice", name: "one-more", lifetime: nil) }
        for _ in 0..<AccountService.mirrorKeysPerUser { _ = try await harness.accounts.createMirrorKey("alice") }
        await #expect(throws: AccountsError.self) { _ = try await harness.accounts.createMirrorKey("alice") }
        // A revoked one makes room, and is deleted once the retention has passed.
        let first = try #require(try await harness.accounts.accessTokens("alice").first)
        try await harness.accounts.revokeAccessToken(id: first.id)
        _ = try await harness.accounts.createAccessToken("alice", name: "replacement", lifetime: nil)
        harness.clock.advance(by: AccountService.credentialRetention + 1)
        try await harness.accounts.revokeAccessToken(id: try #require(try await harness.accounts.accessTokens("alice").last).id)
        _ = try await harness.accounts.createAccessToken("alice", name: "later", lifetime: nil)
        #expect(try await harness.accounts.accessTokens("alice").contains { $0.id == first.id } == false)
    }
}

/// The access page's date format, as the tests read it.
enum AccessContentDate {
    static func format(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        return String(format: "%04d-%02d-%02d %02d:%02d UTC", parts.year!, parts.month!, parts.day!, parts.hour!, parts.minute!)
    }
}
