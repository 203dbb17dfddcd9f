import AsyncHTTPClient
import Billing
import Foundation
import Logging
import PostgresNIO
import Testing

@testable import ferry

/// Flushing stays one batch per interval under load, and applied batch ids are pruned
/// after their retention (review H2), against real PostgreSQL.
@Suite(.enabled(if: TestEnvironment.shouldRun))
struct UsageFlushTests {
    @Test func twoFastDownloadsWriteOneBatchPerFlushInterval() async throws {
        let environment = try TestEnvironment.require()
        let big = try #require(try environment.layoutLayers("big").first)
        try await withSubscriberFerry(billing: true, flushInterval: .seconds(2)) { subscriber in
            try await subscriber.addSubscriber("alice", plan: "pro")
            let token = try await subscriber.bearerToken("alice", repositories: ["ferry/big"])
            let path = "/v2/ferry/big/blobs/\(big.digest)"
            #expect(try await subscriber.send(.GET, path, token: token).received == big.size)  // warms the cache
            let before = Int(try await subscriber.psql("SELECT count(*) FROM usage_batches")) ?? -1
            let started = ContinuousClock.now
            let downloads = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<2 {
                    group.addTask {
                        var count = 0
                        while ContinuousClock.now - started < .seconds(5) {
                            let (response, received) = try await subscriber.send(.GET, path, token: token)
                            #expect(response.status == .ok && received == big.size)
                            count += 1
                        }
                        return count
                    }
                }
                return try await group.reduce(0, +)
            }
            let after = Int(try await subscriber.psql("SELECT count(*) FROM usage_batches")) ?? -1
            #expect(downloads >= 2)
            #expect(after - before <= 3, "\(after - before) usage batches in 5 s with a 2 s flush interval (\(downloads) downloads)")
            // Every byte is still metered.
            try await subscriber.meter!.flushEverything()
            let served = Int64(try await subscriber.psql("SELECT SUM(bytes_served) FROM usage_daily")) ?? -1
            #expect(served == Int64(big.size) * Int64(downloads + 1))
        }
    }

    @Test func batchIdsAreForgottenAfterTheirRetention() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        try await withDatabase(try DatabaseSettings.parse(database), logger: quietLogger) { client in
            _ = try await SchemaMigrator(client: client, migrations: try SchemaMigrator.load(directory: FerryConfiguration.defaultMigrationsDirectory()), logger: quietLogger).migrate()
            let store = PostgresBillingStore(client: client, logger: quietLogger)
            try await client.query("INSERT INTO usage_batches (batch_id, flushed_at) VALUES (gen_random_uuid(), now() - interval '8 days'), (gen_random_uuid(), now() - interval '6 days')")
            let recent = UsageBatch()
            try await store.apply(recent)
            try await store.forgetBatches(olderThan: UsageMeter.batchRetention)
            var remaining: [Date] = []
            for try await flushed in try await client.query("SELECT flushed_at FROM usage_batches ORDER BY flushed_at").decode(Date.self) {
                remaining.append(flushed)
            }
            #expect(remaining.count == 2)
            #expect(remaining.allSatisfy { Date().timeIntervalSince($0) < 7 * 86400 })
        }
    }
}
