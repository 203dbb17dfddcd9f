import Accounts
import FerryTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// The operator view over HTTP: refused to subscribers, suspend and resume with an
/// audit trail (payments need PostgreSQL and are tested in the integration suite).
@Suite struct PortalAdminTests {
    @Test func subscribersCannotOpenTheOperatorView() async throws {
        let harness = PortalHarness()
        try await harness.addUser("alice")
        try await harness.addUser("bob")
        try await harness.run { client in
            let browser = try await Browser.signIn(client, "alice")
            let page = try await client.execute(uri: "/account/admin", method: .get, headers: browser.headers)
            #expect(page.status == .forbidden)
            #expect(String(buffer: page.body).contains("This page is for operators."))
            let dashboard = String(buffer: try await client.execute(uri: "/account", method: .get, headers: browser.headers).body)
            #expect(!dashboard.contains("/account/admin"))
            for (uri, body) in [("/account/admin/users/bob/status", "csrf=\(browser.csrf)&status=suspended"), ("/account/admin/payments", "csrf=\(browser.csrf)&username=bob&amount=3&reference=x")] {
                let response = try await client.execute(uri: uri, method: .post, headers: browser.formHeaders(), body: ByteBuffer(string: body))
                #expect(response.status == .forbidden, "\(uri)")
            }
            #expect(try await harness.users.user(named: "bob")?.status == .active)
            #expect(try await harness.audit.recent(limit: 10).isEmpty)
        }
    }

    @Test func adminsSuspendAndResumeWithAnAuditTrail() async throws {
        let harness = PortalHarness()
        try await harness.addUser("root", role: .admin)
        try await harness.addUser("bob")
        try await harness.run { client in
            let bob = try await Browser.signIn(client, "bob")
            let admin = try await Browser.signIn(client, "root")
            let page = String(buffer: try await client.execute(uri: "/account/admin", method: .get, headers: admin.headers).body)
            #expect(page.contains("Suspend bob"))
            #expect(!page.contains("Suspend root"), "no button to suspend oneself")

            let suspended = try await client.execute(uri: "/account/admin/users/bob/status", method: .post, headers: admin.formHeaders(), body: ByteBuffer(string: "csrf=\(admin.csrf)&status=suspended"))
            #expect(suspended.status == .ok)
            let html = String(buffer: suspended.body)
            #expect(html.contains("bob is suspended and signed out everywhere."))
            #expect(html.contains("<td>root</td><td>suspend</td><td>bob</td>"))
            #expect(try await harness.users.user(named: "bob")?.status == .suspended)
            try await client.execute(uri: "/account", method: .get, headers: bob.headers) { #expect($0.status == .seeOther) }

            let resumed = try await client.execute(uri: "/account/admin/users/bob/status", method: .post, headers: admin.formHeaders(), body: ByteBuffer(string: "csrf=\(admin.csrf)&status=active"))
            #expect(String(buffer: resumed.body).contains("bob is active again."))
            #expect(try await harness.audit.recent(limit: 10).map(\.action) == ["resume", "suspend"])

            for (uri, body, status) in [
                ("/account/admin/users/root/status", "csrf=\(admin.csrf)&status=suspended", HTTPResponse.Status.badRequest),
                ("/account/admin/users/nobody/status", "csrf=\(admin.csrf)&status=suspended", .notFound),
                ("/account/admin/users/bob/status", "csrf=\(admin.csrf)&status=deleted", .badRequest),
                ("/account/admin/users/bob/status", "csrf=forged&status=suspended", .forbidden),
                ("/account/admin/payments", "csrf=\(admin.csrf)&username=bob&amount=3&reference=x", .badRequest),
            ] {
                let response = try await client.execute(uri: uri, method: .post, headers: admin.formHeaders(), body: ByteBuffer(string: body))
                #expect(response.status == status, "\(uri) \(body)")
            }
            #expect(try await harness.audit.recent(limit: 10).count == 2)
            #expect(try await harness.users.user(named: "root")?.status == .active)

            // Review H4: an action whose audit record cannot be written is not done.
            harness.audit.failWrites(true)
            let unaudited = try await client.execute(uri: "/account/admin/users/bob/status", method: .post, headers: admin.formHeaders(), body: ByteBuffer(string: "csrf=\(admin.csrf)&status=suspended"))
            #expect(unaudited.status == .serviceUnavailable)
            #expect(try await harness.users.user(named: "bob")?.status == .active)  // before: suspended, unaudited
            harness.audit.failWrites(false)
        }
    }
}
