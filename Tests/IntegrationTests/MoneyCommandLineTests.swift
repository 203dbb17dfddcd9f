import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The money findings that live in the operator CLI (billing review B4, B7, B9, B10,
/// B12), run as the real binary against real PostgreSQL.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct MoneyCommandLineTests {
    func ferry(_ arguments: [String], database: String, environment: [String: String] = [:], input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database].merging(environment) { $1 }, input: input)
    }

    func psql(_ database: String, _ sql: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-qtAc", sql])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A migrated database with these users (password `correct-horse-9`).
    func database(users: [String]) async throws -> String {
        let database = try await TestEnvironment.require().makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)
        for user in users {
            #expect(try await ferry(["user", "add", user, "--password-stdin"], database: database, input: "correct-horse-9").succeeded)
        }
        return database
    }

    /// B4: a server in Asia/Shanghai with 7 grace days and a CLI with nothing but the
    /// database URL agree on the day and on grace; a CLI whose own setting disagrees is
    /// refused.
    @Test func aServerInShanghaiAndACLIWithNoConfigAgreeOnTheDay() async throws {
        let environment = try TestEnvironment.require()
        let database = try await database(users: ["gina", "hana"])
        _ = try await psql(database, """
            INSERT INTO subscriptions (user_id, plan_id, anchor_day, period_start, period_end)
            SELECT u.id, p.id, EXTRACT(DAY FROM CURRENT_DATE - 35)::INT, CURRENT_DATE - 35, CURRENT_DATE - 5
            FROM users u, plans p WHERE u.username = 'gina' AND p.name = 'basic'
            """)
        let port = reserveFreePort()
        let server = try await FerryProcess.serve(
            port: port, dataDirectory: temporaryDirectory("b4"), upstream: environment.upstream.absoluteString,
            environment: ["FERRY_DATABASE_URL": database, "FERRY_BILLING_TIME_ZONE": "Asia/Shanghai", "FERRY_BILLING_GRACE_DAYS": "7"]
        )
        kill(server.processIdentifier, SIGTERM)
        await server.exit()

        let shown = try await ferry(["subscription", "show", "gina", "--json"], database: database)
        #expect(shown.succeeded, "\(shown.error)")
        let status = (try? JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any])?["status"] as? String
        #expect(status == "past-due", "5 days after the period with 7 grace days: \(shown.output)")

        // Paid at 07:30 in Shanghai, 23:30 the day before in UTC: the period starts on the Shanghai day.
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let paidAt = calendar.startOfDay(for: Date()).addingTimeInterval(-1800)
        let stamp = ISO8601DateFormatter().string(from: paidAt)
        let paid = try await ferry(["payment", "record", "hana", "3.00", "--ref", "H1", "--plan", "basic", "--paid-at", stamp], database: database)
        #expect(paid.succeeded, "\(paid.error)")
        calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
        let shanghaiDay = calendar.dateComponents([.year, .month, .day], from: paidAt)
        let expected = String(format: "%04d-%02d-%02d", shanghaiDay.year!, shanghaiDay.month!, shanghaiDay.day!)
        #expect(try await psql(database, "SELECT period_start FROM subscriptions s JOIN users u ON u.id = s.user_id WHERE u.username = 'hana'") == expected)

        let disagreeing = try await ferry(["subscription", "show", "gina"], database: database, environment: ["FERRY_BILLING_TIME_ZONE": "UTC"])
        #expect(disagreeing.status != 0 && disagreeing.error.contains("billing.time-zone"), "\(disagreeing.error)")
        #expect(disagreeing.error.split(separator: "\n").count == 1, "\(disagreeing.error)")
    }

    /// B7: `--months` is 1-120 on every command.
    @Test func monthsOutOfRangeAreOneLineErrors() async throws {
        let database = try await database(users: ["alice"])
        #expect(try await ferry(["subscription", "start", "alice", "--plan", "basic"], database: database).succeeded)
        for months in ["121", "0", "9223372036854775807", "1300"] {
            for command in [["subscription", "renew", "alice"], ["subscription", "start", "alice", "--plan", "basic"], ["payment", "record", "alice", "3.00", "--ref", "M-\(months)"]] {
                let result = try await ferry(command + ["--months", months], database: database)
                #expect(result.status != 0, "\(command) --months \(months)")
                #expect(result.error.contains("--months") && result.error.split(separator: "\n").count == 1, "\(command) --months \(months): \(result.error)")
            }
        }
        #expect(try await psql(database, "SELECT count(*) FROM charges") == "1")
    }

    /// B9: a deleted user's payments and usage are reachable by name.
    @Test func deletedUsersAreReachableByName() async throws {
        let database = try await database(users: ["bob"])
        #expect(try await ferry(["payment", "record", "bob", "3.00", "--ref", "B1", "--plan", "basic"], database: database).succeeded)
        #expect(try await ferry(["user", "delete", "bob", "--yes"], database: database).succeeded)
        let month = String(ISO8601DateFormatter().string(from: Date()).prefix(7))
        let report = try await ferry(["usage", "report", "--month", month, "--user", "bob", "--format", "csv"], database: database)
        #expect(report.succeeded, "\(report.error)")
        #expect(report.output.contains("\nbob,true,basic,"), "\(report.output)")
        let payments = try await ferry(["payment", "list", "bob"], database: database)
        #expect(payments.succeeded && payments.output.contains("B1"), "\(payments.output) \(payments.error)")
        #expect(try await ferry(["payment", "list", "nobody"], database: database).error.contains("no such user"))
    }

    /// B10: money changes from the CLI are audited, and a payment keeps the time it was
    /// made (`--paid-at`), not the time it was typed in.
    @Test func cliMoneyChangesAreAuditedAndKeepTheirTime() async throws {
        let database = try await database(users: ["bob"])
        // Whole seconds: the stamp below has no fraction, and the formatter rounds one.
        let paidAt = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 2 * 86400).rounded(.down))
        let stamp = ISO8601DateFormatter().string(from: paidAt)
        let paid = try await ferry(["payment", "record", "bob", "3.00", "--ref", "B1", "--plan", "basic", "--paid-at", stamp], database: database)
        #expect(paid.succeeded, "\(paid.error)")
        #expect(try await psql(database, "SELECT extract(epoch FROM paid_at)::BIGINT FROM payments WHERE reference = 'B1'") == String(Int(paidAt.timeIntervalSince1970)))
        let refunded = try await ferry(["payment", "refund", "B1", "--refund-ref", "R1", "--amount", "1.00", "--reason", "outage"], database: database)
        #expect(refunded.succeeded, "\(refunded.error)")
        // B2 from the command line: the same command again records nothing more.
        let again = try await ferry(["payment", "refund", "B1", "--refund-ref", "R1", "--amount", "1.00", "--reason", "outage"], database: database)
        #expect(again.succeeded && again.output.contains("already recorded"), "\(again.output) \(again.error)")
        #expect(try await psql(database, "SELECT sum(amount_minor) FROM refunds") == "100")
        #expect(try await psql(database, "SELECT actor || ' ' || action || ' ' || target FROM audit_log WHERE action = 'refund'") == "ferry-cli refund bob")
        #expect(try await psql(database, "SELECT count(*) FROM audit_log WHERE actor = 'ferry-cli' AND action = 'payment' AND target = 'bob'") == "1")
        let future = ISO8601DateFormatter().string(from: Date().addingTimeInterval(86400))
        let early = try await ferry(["payment", "record", "bob", "3.00", "--ref", "B2", "--paid-at", future], database: database)
        #expect(early.status != 0 && early.error.contains("--paid-at"), "\(early.error)")
    }

    /// B12: a currency must be an ISO 4217 code.
    @Test func aMistypedCurrencyIsRefused() async throws {
        let database = try await database(users: ["alice"])
        let typo = try await ferry(["payment", "record", "alice", "3.00", "--ref", "X", "--plan", "basic", "--currency", "CYN"], database: database)
        #expect(typo.status != 0 && typo.error.contains("CYN"), "\(typo.error)")
        #expect(try await psql(database, "SELECT count(*) FROM payments") == "0")
        let plan = try await ferry(["plan", "add", "euro", "--price", "3.00", "--quota", "10GiB", "--currency", "EUX"], database: database)
        #expect(plan.status != 0 && plan.error.contains("EUX"), "\(plan.error)")
    }

    /// `ferry usage report` reports the current month when no `--month` is given.
    @Test func theUsageReportDefaultsToTheCurrentMonth() async throws {
        let database = try await database(users: ["alice"])
        #expect(try await ferry(["payment", "record", "alice", "3.00", "--ref", "A1", "--plan", "basic"], database: database).succeeded)
        let report = try await ferry(["usage", "report", "--format", "csv"], database: database)
        #expect(report.succeeded, "\(report.error)")
        #expect(report.output.contains("\nalice,false,basic,"), "\(report.output)")
    }

    /// The reminder list (`subscription list --expiring`) and ending a subscription on a day.
    @Test func remindersAndEndingASubscription() async throws {
        let database = try await database(users: ["ann", "ben", "cat", "dee"])
        for (user, end) in [("ann", "CURRENT_DATE + 3"), ("ben", "CURRENT_DATE + 20"), ("cat", "CURRENT_DATE - 2"), ("dee", "CURRENT_DATE - 10")] {
            _ = try await psql(database, """
                INSERT INTO subscriptions (user_id, plan_id, anchor_day, period_start, period_end)
                SELECT u.id, p.id, 1, \(end) - 30, \(end) FROM users u, plans p WHERE u.username = '\(user)' AND p.name = 'basic'
                """)
        }
        let listed = try await ferry(["subscription", "list", "--expiring", "7d", "--json"], database: database)
        #expect(listed.succeeded, "\(listed.error)")
        let names = (try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])?.compactMap { $0["username"] as? String }
        #expect(names == ["cat", "ann"], "in grace first, then soonest: \(listed.output)")
        let table = try await ferry(["subscription", "list", "--expiring", "30d"], database: database)
        #expect(table.output.contains("in grace") && table.output.contains("ben"), "\(table.output)")
        #expect(try await ferry(["subscription", "list", "--expiring", "soon"], database: database).error.contains("--expiring"))

        let ended = try await ferry(["subscription", "end", "ben"], database: database)
        #expect(ended.succeeded && ended.output.contains("has access until"), "\(ended.output) \(ended.error)")
        #expect(try await psql(database, "SELECT period_end = CURRENT_DATE AND cancelled_at IS NOT NULL FROM subscriptions s JOIN users u ON u.id = s.user_id WHERE username = 'ben'") == "t")
        #expect(try await ferry(["subscription", "end", "ann", "--on", "tomorrow"], database: database).error.contains("--on"))
        #expect(try await psql(database, "SELECT count(*) FROM audit_log WHERE actor = 'ferry-cli' AND action = 'subscription-end' AND target = 'ben'") == "1")
    }
}
