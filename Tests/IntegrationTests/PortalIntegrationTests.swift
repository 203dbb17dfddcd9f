import Accounts
import Billing
import Foundation
import Testing

/// The portal against real PostgreSQL, the real registry and real clients: the
/// dashboard's numbers against `ferry usage report`'s, payments and the audit log,
/// and sessions ended by the operator CLI.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PortalIntegrationTests {
    func psql(_ database: String, _ sql: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-tAc", sql])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func ferry(_ arguments: [String], database: String, input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database], input: input)
    }

    /// The text of the element with `id` in `html`.
    func element(_ id: String, in html: String) -> String? {
        guard let start = html.range(of: "id=\"\(id)\">") else { return nil }
        return html[start.upperBound...].split(separator: "<", maxSplits: 1).first.map(String.init)
    }

    @Test func theDashboardShowsTheSameNumbersAsTheUsageReport() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            let alice = try await subscriber.addSubscriber("alice")
            let pulled = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: temporaryDirectory("portal"), credentials: "alice:correct-horse-9")
            #expect(pulled.succeeded, "\(pulled.error)")
            try await subscriber.meter!.flush()

            let browser = PortalClient(base: subscriber.ferry.url)
            defer { Task { try? await browser.shutdown() } }
            try await browser.signIn("alice", "correct-horse-9")
            let dashboard = try await browser.get("/account")
            #expect(dashboard.status == 200)

            let billing = subscriber.billing!
            let month = String(billing.today.description.prefix(7))
            let report = try await billing.monthlyReport(month: month, username: "alice")
            let line = try #require(report.users.first)
            #expect(line.bytesServed > 0)
            #expect(element("bytes-served", in: dashboard.html) == UsageReport.bytes(line.bytesServed))
            #expect(element("manifest-pulls", in: dashboard.html) == String(line.manifestPulls))
            #expect(dashboard.html.contains(#"<rect class="bar""#), "the chart has a bar for today")
            let repositories = try await billing.dashboard(userID: alice.id, month: month).repositories
            #expect(repositories.count == 1)
            #expect(dashboard.html.contains("<code>\(repositories[0].name)</code>"))
            #expect(dashboard.html.contains("basic"))
            #expect(element("pulls-left", in: dashboard.html) == "199", "one manifest pull of 200 used")
            #expect(dashboard.html.contains("ratelimit-limit: 200;w=21600"))

            // The JSON endpoint with Basic auth still answers next to the portal.
            let usage = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-u", "alice:correct-horse-9", "\(subscriber.ferry.url)/account/usage"])
            let json = try #require(try JSONSerialization.jsonObject(with: Data(usage.output.utf8)) as? [String: Any])
            let used = try #require((json["quota"] as? [String: Any])?["usedBytes"] as? Int)
            #expect(element("quota-percent", in: dashboard.html) != nil)
            #expect(dashboard.html.contains(UsageReport.bytes(Int64(used))))
        }
    }

    @Test func adminsRecordPaymentsAndEveryActionIsAudited() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            try await subscriber.addUser("root")
            _ = try await subscriber.accounts.setRole("root", .admin)
            let bob = try await subscriber.addUser("bob")
            let browser = PortalClient(base: subscriber.ferry.url)
            defer { Task { try? await browser.shutdown() } }
            let csrf = try await browser.signIn("root", "correct-horse-9")

            let paid = try await browser.post("/account/admin/payments", ["csrf": csrf, "username": "bob", "amount": "15.00", "reference": "order-7", "months": "2", "plan": "pro"])
            #expect(paid.status == 200, "\(paid.html.prefix(500))")
            let subscription = try #require(try await subscriber.billing!.subscription(userID: bob.id))
            #expect(paid.html.contains("Recorded 15.00 CNY from bob; paid until \(subscription.periodEnd)."))
            #expect(paid.html.contains("<td>root</td><td>payment</td><td>bob</td>"))
            let again = try await browser.post("/account/admin/payments", ["csrf": csrf, "username": "bob", "amount": "15.00", "reference": "order-7", "months": "2"])
            #expect(again.html.contains("was already recorded; nothing changed"))
            #expect(try await psql(subscriber.databaseURL, "SELECT count(*) FROM payments WHERE user_id = \(bob.id)") == "1")

            let suspended = try await browser.post("/account/admin/users/bob/status", ["csrf": csrf, "status": "suspended"])
            #expect(suspended.status == 200)
            let audit = try await psql(subscriber.databaseURL, "SELECT string_agg(actor || ':' || action || ':' || target, ',' ORDER BY id) FROM audit_log")
            #expect(audit == "root:payment:bob,root:suspend:bob")
            let refused = try await browser.post("/account/admin/payments", ["csrf": csrf, "username": "bob", "amount": "abc", "reference": "x"])
            #expect(refused.status == 400)
            #expect(refused.html.contains("is not an amount in CNY"), "\(refused.html.prefix(2000))")
            // A JPY plan's amounts have no decimals: 500 is 500 yen, not 50,000 (review M2).
            _ = try await subscriber.billing!.addPlan(Plan(
                name: "tokyo", priceMinor: 500, currency: "JPY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 60,
                manifestPullsPerWindow: 10, manifestWindowSeconds: 3600, maxConcurrentDownloads: 1, maxClientAddressesPerDay: 1
            ))
            let carol = try await subscriber.addUser("carol")
            let yen = try await browser.post("/account/admin/payments", ["csrf": csrf, "username": "carol", "amount": "500", "reference": "jp-1", "months": "1", "plan": "tokyo"])
            #expect(yen.html.contains("Recorded 500 JPY from carol"), "\(yen.html.prefix(2000))")
            #expect(try await psql(subscriber.databaseURL, "SELECT amount_minor || currency FROM payments WHERE user_id = \(carol.id)") == "500JPY")
        }
    }

    @Test func operatorCommandsEndPortalSessions() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            let alice = try await subscriber.addSubscriber("alice")
            let database = subscriber.databaseURL
            let browser = PortalClient(base: subscriber.ferry.url)
            defer { Task { try? await browser.shutdown() } }
            try await browser.signIn("alice", "correct-horse-9")
            #expect(try await psql(database, "SELECT count(*) FROM portal_sessions WHERE user_id = \(alice.id)") == "1")
            let hash = try await psql(database, "SELECT secret_hash FROM portal_sessions")
            #expect(hash.count == 64, "only the SHA-256 of the session id is stored")

            #expect(try await ferry(["user", "suspend", "alice"], database: database).succeeded)
            #expect(try await psql(database, "SELECT count(*) FROM portal_sessions") == "0")
            #expect(try await browser.get("/account").status == 303)
            #expect(try await ferry(["user", "resume", "alice"], database: database).succeeded)

            try await browser.signIn("alice", "correct-horse-9")
            let passwd = try await ferry(["user", "passwd", "alice", "--password-stdin"], database: database, input: "new-horse-battery-7\n")
            #expect(passwd.succeeded, "\(passwd.error)")
            #expect(try await browser.get("/account").status == 303)
            try await browser.signIn("alice", "new-horse-battery-7")

            let role = try await ferry(["user", "role", "alice", "admin"], database: database)
            #expect(role.succeeded && role.output.contains("alice is now an admin"), "\(role.error)")
            #expect(try await browser.get("/account/admin").status == 200, "the role applies to the live session at once")
            let added = try await ferry(["user", "add", "ops", "--admin", "--password-stdin"], database: database, input: "correct-horse-9\n")
            #expect(added.output.contains("created admin ops"), "\(added.error)")
            let listed = try await ferry(["user", "list"], database: database)
            #expect(listed.output.contains("admin"))
            #expect(try await ferry(["user", "role", "alice", "root"], database: database).status != 0)
            #expect(try await psql(database, "SELECT string_agg(actor || ':' || target || ':' || detail, ',' ORDER BY id) FROM audit_log WHERE action = 'role'") == "ferry-cli:alice:role admin,ferry-cli:ops:created as admin")
            #expect(try await psql(database, "SELECT string_agg(action || ':' || target, ',' ORDER BY id) FROM audit_log WHERE action <> 'role'") == "subscription-start:alice,suspend:alice,resume:alice")

            #expect(try await ferry(["user", "delete", "alice", "--yes"], database: database).succeeded)
            #expect(try await psql(database, "SELECT count(*) FROM portal_sessions") == "0")
            #expect(try await browser.get("/account").status == 303)
        }
    }
    /// Security review S7: a re-created username sees nothing of its deleted namesake's
    /// month (the dashboard picks the report line by user id).
    @Test func aRecreatedUsernameSeesNothingOfTheDeletedOnesMonth() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            try await subscriber.addSubscriber("carol")
            let pulled = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: temporaryDirectory("namesake"), credentials: "carol:correct-horse-9")
            #expect(pulled.succeeded, "\(pulled.error)")
            try await subscriber.meter!.flush()
            try await subscriber.accounts.deleteUser("carol")
            try await subscriber.addUser("carol", password: "another-pass-77")
            let browser = PortalClient(base: subscriber.ferry.url)
            defer { Task { try? await browser.shutdown() } }
            try await browser.signIn("carol", "another-pass-77")
            let dashboard = try await browser.get("/account")
            #expect(dashboard.status == 200)
            #expect(element("bytes-served", in: dashboard.html) == nil, "the deleted carol's bytes")
            #expect(!dashboard.html.contains("3.00 CNY"), "the deleted carol's money")
        }
    }

    /// Billing review B13: the operator page costs a bounded number of statements however
    /// many users there are, and lists them a page at a time.
    @Test func theOperatorPageIsBoundedWithTwoThousandUsers() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            let database = subscriber.databaseURL
            _ = try await psql(database, """
                INSERT INTO users (username, password_hash) SELECT 'user' || lpad(n::TEXT, 4, '0'), 'x' FROM generate_series(1, 2000) n;
                INSERT INTO subscriptions (user_id, plan_id, anchor_day, period_start, period_end)
                SELECT u.id, (SELECT id FROM plans WHERE name = 'basic'), 1, CURRENT_DATE - 3, CURRENT_DATE + 27 FROM users u;
                """)
            try await subscriber.addUser("root")
            _ = try await subscriber.accounts.setRole("root", .admin)
            let browser = PortalClient(base: subscriber.ferry.url)
            defer { Task { try? await browser.shutdown() } }
            try await browser.signIn("root", "correct-horse-9")
            _ = try await psql(database, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            let loaded = try await psql(database, "SELECT count(*) FROM pg_stat_statements_info")
            #expect(loaded == "1", "pg_stat_statements must be preloaded (scripts/local-postgres.sh)")
            _ = try await psql(database, "SELECT pg_stat_statements_reset()")
            let page = try await browser.get("/account/admin")
            #expect(page.status == 200)
            let statements = Int(try await psql(database, """
                SELECT COALESCE(SUM(calls), 0) FROM pg_stat_statements
                WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query NOT LIKE '%pg_stat_statements%'
                """)) ?? -1
            #expect((1...25).contains(statements), "\(statements) statements for one page")
            let rows = page.html.components(separatedBy: "<tr").count - 1
            #expect(rows < 200, "\(rows) table rows on one page")
            #expect(page.html.contains("user0001"))
            #expect(page.html.contains("/account/admin?page=2"))
            let second = try await browser.get("/account/admin?page=2")
            #expect(second.status == 200 && !second.html.contains(">user0001<"))
        }
    }
}
