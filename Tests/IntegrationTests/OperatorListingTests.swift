import Foundation
import Testing

/// The operator's listings (review S11, S12, S13): control characters a subscriber once
/// put in a token name or client id are printed escaped, mirror keys show their last
/// use, and `config-check` warns that upstream credentials serve every subscriber.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct OperatorListingTests {
    func ferry(_ arguments: [String], database: String, input: String? = nil, environment: [String: String] = [:]) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database].merging(environment) { $1 }, input: input)
    }

    func psql(_ database: String, _ sql: String) async throws {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-qtAc", sql])
        #expect(result.succeeded, "\(result.error)")
    }

    @Test func listingsNeverPrintControlCharactersAndShowMirrorKeyUse() async throws {
        let database = try await TestEnvironment.require().makeDatabase()
        #expect(try await ferry(["migrate"], database: database).succeeded)
        #expect(try await ferry(["user", "add", "alice", "--password-stdin"], database: database, input: "correct-horse-9\n").succeeded)
        // Rows written before names and client ids were checked.
        try await psql(database, """
            INSERT INTO access_tokens (user_id, name, secret_hash, expires_at) SELECT id, E'ci\\x1b[8mhidden', 'aa', NULL FROM users;
            INSERT INTO refresh_tokens (user_id, secret_hash, client_id, expires_at) SELECT id, 'bb', E'docker\\x1b]0;x\\x07', now() + interval '1 day' FROM users;
            INSERT INTO mirror_keys (user_id, secret_hash, last_used_at, last_used_address) SELECT id, 'cc', now(), '198.51.100.7' FROM users;
            """)
        for arguments in [["token", "list", "alice"], ["token", "refresh", "list", "alice"], ["mirror-key", "list", "alice"]] {
            let listed = try await ferry(arguments, database: database)
            #expect(listed.succeeded, "\(listed.error)")
            #expect(!listed.output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 }, "\(arguments)")  // before: printed raw
            if arguments.count == 3, arguments[0] == "token" { #expect(listed.output.contains("ci\\u{1b}[8mhidden")) }
            if arguments[0] == "mirror-key" { #expect(listed.output.contains("198.51.100.7"), "last use and address: \(listed.output)") }
        }
    }

    @Test func configCheckWarnsThatUpstreamCredentialsServeEverySubscriber() async throws {
        let check = try await ferry(["config-check"], database: "postgres://ferry@localhost/ferry", environment: [
            "FERRY_UPSTREAM_DOCKER_USERNAME": "company", "FERRY_UPSTREAM_DOCKER_PASSWORD": "secret-token",
        ])
        #expect(check.succeeded, "\(check.error)")
        #expect(check.output.contains("warning") && check.output.contains("every subscriber"), "\(check.output)")  // before: no warning
        #expect(!check.output.contains("secret-token"))
    }
}
