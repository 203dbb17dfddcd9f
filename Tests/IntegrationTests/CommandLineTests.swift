import Foundation
import Testing

/// The operator CLI, run as the real binary against real PostgreSQL.
@Suite(.enabled(if: TestEnvironment.shouldRun))
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
        #expect(ContinuousClock.now - started < .seconds(30))
    }
}
