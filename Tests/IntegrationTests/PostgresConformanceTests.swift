import Accounts
import FerryTestSupport
import Foundation
import Testing

@testable import ferry

/// The user repository conformance suite against real PostgreSQL (the in-memory
/// repository runs the same suite in AccountsTests).
@Suite(.enabled(if: TestEnvironment.shouldRun))
struct PostgresConformanceTests {
    @Test func postgresUserRepositoryConforms() async throws {
        let environment = try TestEnvironment.require()
        let settings = try DatabaseSettings.parse(try await environment.makeDatabase())
        try await withDatabase(settings, logger: quietLogger) { client in
            _ = try await SchemaMigrator(client: client, migrations: try SchemaMigrator.load(directory: FerryConfiguration.defaultMigrationsDirectory()), logger: quietLogger).migrate()
            try await UserRepositoryConformance.run(PostgresUserRepository(client: client, logger: quietLogger))
        }
    }
}
