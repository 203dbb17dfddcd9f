import Accounts
import FerryTestSupport
import Foundation
import Testing

import FerryServer

/// The user repository conformance suite against real PostgreSQL (the in-memory
/// repository runs the same suite in AccountsTests).
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PostgresConformanceTests {
    @Test func postgresUserRepositoryConforms() async throws {
        let environment = try TestEnvironment.require()
        try await withMigratedDatabase(try await environment.makeDatabase()) { client in
            let repository = PostgresUserRepository(client: client, logger: quietLogger)
            try await UserRepositoryConformance.run(repository)
            try await UserRepositoryConformance.runSecurity(repository)
        }
    }
}
