import Foundation
import Testing

/// The operator CLI, run as the real binary against real PostgreSQL.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct CommandLineTests {
    func ferry(_ arguments: [String], database: String, input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database], input: input)
    }

    @Test func twoMigrationsAtOnceDoNotRace() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        async let first = ferry(["migrate"], database: database)
        async let second = ferry(["migrate"], database: database)
        let results = try await [first, second]
        #expect(results.allSatisfy { $0.succeeded }, "\(results.map { $0.error })")
        #expect(results.filter { $0.output.contains("applied 0001_accounts") }.count == 1)
        #expect(results.filter { $0.output.contains("up to date") }.count == 1)
        let rows = try await ProcessRunner.run("/usr/bin/psql", [database, "-tAc", "SELECT count(*) FROM ferry_schema_migrations"])
        let files = try FileManager.default.contentsOfDirectory(atPath: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path + "/migrations").filter { $0.hasSuffix(".sql") }
        #expect(rows.output.trimmingCharacters(in: .whitespacesAndNewlines) == String(files.count))
    }

    @Test func aChangedAppliedMigrationIsRefused() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)
        _ = try await ProcessRunner.run("/usr/bin/psql", [database, "-qc", "UPDATE ferry_schema_migrations SET checksum = 'edited' WHERE version = 1"])
        let again = try await ferry(["migrate"], database: database)
        #expect(again.status != 0)
        #expect(again.error.contains("was changed after it was applied"), "\(again.error)")
    }

    @Test func userLifecycleAndClearErrors() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)

        let added = try await ferry(["user", "add", "alice", "--email", "alice@example.com"], database: database)
        #expect(added.succeeded, "\(added.error)")
        #expect(added.output.contains("password: "))
        let withPassword = try await ferry(["user", "add", "bob", "--password-stdin"], database: database, input: "correct-horse-9\n")
        #expect(withPassword.succeeded && !withPassword.output.contains("password:"))

        for (arguments, input, message) in [
            (["user", "add", "alice"], nil, "already exists"),
            (["user", "add", "Alice!"], nil, "invalid username"),
            (["user", "add", "carol", "--password-stdin"], "short", "too short"),
            (["user", "add", "carol", "--password-stdin"], "", "empty"),
            (["user", "add", "carol", "--email", "nope"], nil, "invalid email"),
            (["user", "show", "nobody"], nil, "no such user"),
            (["user", "suspend", "nobody"], nil, "no such user"),
            (["user", "delete", "alice"], nil, "--yes"),
            (["token", "revoke", "999"], nil, "no such access token"),
            (["token", "create", "alice", "--name", "ci", "--expires", "soon"], nil, "not a duration"),
            (["mirror-key", "revoke", "999"], nil, "no such mirror key"),
        ] as [([String], String?, String)] {
            let result = try await ferry(arguments, database: database, input: input)
            #expect(result.status != 0, "\(arguments) should fail")
            #expect(result.error.contains(message), "\(arguments): \(result.error)")
            #expect(result.error.split(separator: "\n").count <= 3, "\(arguments): \(result.error)")
        }

        let list = try await ferry(["user", "list", "--json"], database: database)
        let users = try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [[String: Any]]
        #expect(users?.map { $0["username"] as? String } == ["alice", "bob"])
        #expect(!list.output.contains("argon2"))

        let token = try await ferry(["token", "create", "alice", "--name", "ci", "--expires", "90d", "--json"], database: database)
        let created = try JSONSerialization.jsonObject(with: Data(token.output.utf8)) as? [String: Any]
        #expect((created?["token"] as? String)?.hasPrefix("ferry_pat_") == true)
        let tokens = try await ferry(["token", "list", "alice", "--json"], database: database)
        #expect(!tokens.output.contains(created?["token"] as? String ?? "-"), "token secrets are never listed")

        #expect(try await ferry(["user", "suspend", "alice"], database: database).succeeded)
        #expect(try await ferry(["user", "show", "alice"], database: database).output.contains("suspended"))
        #expect(try await ferry(["user", "resume", "alice"], database: database).succeeded)
        #expect(try await ferry(["user", "passwd", "alice", "--password-stdin"], database: database, input: "new-horse-battery-7").succeeded)
        #expect(try await ferry(["mirror-key", "create", "alice"], database: database).succeeded)
        #expect(try await ferry(["keys", "rotate"], database: database).succeeded)
        let keys = try await ferry(["keys", "list", "--json"], database: database)
        #expect((try JSONSerialization.jsonObject(with: Data(keys.output.utf8)) as? [Any])?.count == 1)
        #expect(try await ferry(["user", "delete", "alice", "--yes"], database: database).succeeded)
        #expect(try await ferry(["user", "show", "alice"], database: database).status != 0)
    }

    @Test func anUnreachableDatabaseIsAOneLineErrorNotAHang() async throws {
        let started = ContinuousClock.now
        let result = try await ferry(["user", "list"], database: "postgres://postgres@127.0.0.1:\(reserveFreePort())/none?sslmode=disable")
        #expect(result.status != 0)
        #expect(result.error.contains("unreachable"), "\(result.error)")
        // The CLI gives up after 10 s; the bound only tells giving up from hanging (a
        // loaded machine took 31 s to start the debug binary, try and report).
        #expect(ContinuousClock.now - started < .seconds(120))
    }

    @Test func plansSubscriptionsPaymentsAndReports() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)
        #expect(try await ferry(["user", "add", "alice", "--password-stdin"], database: database, input: "correct-horse-9").succeeded)

        let plans = try await ferry(["plan", "list", "--json"], database: database)
        #expect((try JSONSerialization.jsonObject(with: Data(plans.output.utf8)) as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["basic", "pro"])
        #expect(try await ferry(["plan", "add", "team", "--price", "9.90", "--currency", "usd", "--quota", "200GiB", "--manifest-pulls", "500/6h", "--concurrency", "8"], database: database).succeeded)
        let duplicate = try await ferry(["plan", "add", "team", "--price", "1", "--quota", "1GiB"], database: database)
        #expect(duplicate.status != 0 && duplicate.error.contains("already exists"))
        #expect(try await ferry(["plan", "edit", "team", "--rpm", "1200"], database: database).succeeded)
        let team = try await ferry(["plan", "list", "--json"], database: database)
        let teamPlan = (try JSONSerialization.jsonObject(with: Data(team.output.utf8)) as? [[String: Any]])?.first { $0["name"] as? String == "team" }
        #expect(teamPlan?["priceMinor"] as? Int == 990 && teamPlan?["currency"] as? String == "USD" && teamPlan?["requestsPerMinute"] as? Int == 1200)
        #expect(try await ferry(["plan", "add", "bad", "--price", "x", "--quota", "1GiB"], database: database).error.contains("--price"))

        let noSubscription = try await ferry(["payment", "record", "alice", "3.00", "--ref", "order-1"], database: database)
        #expect(noSubscription.status != 0 && noSubscription.error.contains("name a plan"), "\(noSubscription.error)")
        let paid = try await ferry(["payment", "record", "alice", "3.00", "--ref", "order-1", "--plan", "basic"], database: database)
        #expect(paid.succeeded, "\(paid.error)")
        let again = try await ferry(["payment", "record", "alice", "3.00", "--ref", "order-1"], database: database)
        #expect(again.output.contains("already recorded"))
        let shown = try await ferry(["subscription", "show", "alice", "--json"], database: database)
        let subscription = try JSONSerialization.jsonObject(with: Data(shown.output.utf8)) as? [String: Any]
        #expect(subscription?["status"] as? String == "active" && subscription?["plan"] as? String == "basic")
        #expect(try await ferry(["subscription", "renew", "alice", "--months", "2"], database: database).succeeded)
        #expect(try await ferry(["subscription", "cancel", "alice"], database: database).output.contains("keeps access until"))
        #expect(try await ferry(["subscription", "cancel", "alice"], database: database).error.contains("already cancelled"))
        #expect(try await ferry(["subscription", "start", "nobody", "--plan", "basic"], database: database).error.contains("no such user"))
        #expect(try await ferry(["subscription", "start", "alice", "--plan", "gold"], database: database).error.contains("no such plan"))
        let prepaid = try await ferry(["subscription", "start", "alice", "--plan", "pro"], database: database)
        #expect(prepaid.status != 0 && prepaid.error.contains("already has a subscription"), "\(prepaid.error)")
        let changed = try await ferry(["subscription", "change-plan", "alice", "pro"], database: database)
        #expect(changed.succeeded && changed.output.contains("moves to pro from"), "\(changed.output) \(changed.error)")
        let periods = try JSONSerialization.jsonObject(with: Data(try await ferry(["subscription", "show", "alice", "--json"], database: database).output.utf8)) as? [String: Any]
        #expect((periods?["periods"] as? [[String: Any]])?.map { $0["plan"] as? String } == ["basic", "pro", "pro"])
        #expect(try await ferry(["payment", "record", "alice", "9.90", "--ref", "order-2", "--currency", "USD"], database: database).succeeded)
        let otherUser = try await ferry(["user", "add", "bob", "--password-stdin"], database: database, input: "correct-horse-9")
        #expect(otherUser.succeeded)
        let stolenRef = try await ferry(["payment", "record", "bob", "3.00", "--ref", "order-1", "--plan", "basic"], database: database)
        #expect(stolenRef.status != 0 && stolenRef.error.contains("already recorded with other details"), "\(stolenRef.error)")
        #expect(try await ferry(["payment", "refund", "order-2", "--refund-ref", "R-1", "--amount", "4.90"], database: database).output.contains("refunded 4.90 USD"))
        #expect(try await ferry(["payment", "refund", "order-2", "--refund-ref", "R-2", "--amount", "6.00"], database: database).error.contains("exceeds"))
        #expect(try await ferry(["payment", "refund", "nope", "--refund-ref", "R-3"], database: database).error.contains("no payment"))
        #expect(try await ferry(["payment", "list", "alice"], database: database).output.contains("4.90 USD"))
        let huge = try await ferry(["plan", "edit", "team", "--quota", "1e30GiB"], database: database)
        #expect(huge.status != 0 && huge.error.contains("--quota") && huge.error.split(separator: "\n").count == 1, "\(huge.error)")

        let month = String(ISO8601DateFormatter().string(from: Date()).prefix(7))
        _ = try await ProcessRunner.run("/usr/bin/psql", [database, "-qc", """
            INSERT INTO usage_daily VALUES (CURRENT_DATE, (SELECT id FROM users WHERE username = 'alice'), 'docker.io', 'library/nginx', 10, 4, 6, 1048576, 524288);
            INSERT INTO usage_client_addresses VALUES (CURRENT_DATE, (SELECT id FROM users WHERE username = 'alice'), '10.0.0.1'),
                (CURRENT_DATE, (SELECT id FROM users WHERE username = 'alice'), '10.0.0.2');
            INSERT INTO upstream_daily VALUES (CURRENT_DATE, 'docker.io', 524288);
            """])
        let json = try await ferry(["usage", "report", "--month", month, "--format", "json"], database: database)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.output.utf8)) as? [String: Any])
        let line = try #require((report["users"] as? [[String: Any]])?.first)
        #expect(line["username"] as? String == "alice")
        #expect(line["bytesServed"] as? Int == 1_048_576)
        #expect(line["cacheHitRatio"] as? Double == 0.5)
        #expect(line["peakClientAddresses"] as? Int == 2)
        // One payment of 3.00 and three monthly periods (1 + 2 renewed): only the one
        // starting this month is due this month.
        #expect(line["paidMinor"] as? [String: Int] == ["CNY": 300, "USD": 990] && line["dueMinor"] as? [String: Int] == ["CNY": 300])
        #expect(line["refundedMinor"] as? [String: Int] == ["USD": 490])
        #expect((report["totals"] as? [String: Any])?["bytesSaved"] as? Int == 524_288)
        let csv = try await ferry(["usage", "report", "--month", month, "--format", "csv"], database: database)
        #expect(csv.output.split(separator: "\n").count == 2, "\(csv.output)")
        let table = try await ferry(["usage", "report", "--month", month, "--user", "alice"], database: database)
        #expect(table.output.contains("alice") && table.output.contains("revenue 3.00 CNY + 5.00 USD"), "\(table.output)")
        let top = try await ferry(["usage", "top", "--month", month, "--by", "repo"], database: database)
        #expect(top.output.contains("docker.io/library/nginx"))
        let negative = try await ferry(["usage", "top", "--month", month, "--limit=-1"], database: database)
        #expect(negative.status != 0 && negative.error.contains("--limit: -1 is not between 1 and 10000"), "\(negative.error)")
        #expect(try await ferry(["usage", "report", "--month", "11-2026"], database: database).error.contains("--month"))
        #expect(try await ferry(["usage", "report", "--month", month, "--user", "nobody"], database: database).error.contains("no such user"))
    }
}
