import Billing
import FerryServer
import FerryTestSupport
import Foundation
import Logging
import PostgresNIO
import Synchronization
import Testing

/// Review D3: usage is never counted twice because PostgreSQL applies each batch id
/// once (`usage_batches`), not because a fake says so.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PostgresUsageBatchTests {
    func withStore(_ body: @Sendable (PostgresBillingStore, PostgresClient, Int64) async throws -> Void) async throws {
        let environment = try TestEnvironment.require()
        try await withMigratedDatabase(try await environment.makeDatabase()) { client in
            var userID: Int64 = 0
            for try await id in try await client.query("INSERT INTO users (username, password_hash) VALUES ('alice', 'x') RETURNING id").decode(Int64.self) { userID = id }
            try await body(PostgresBillingStore(client: client, logger: quietLogger), client, userID)
        }
    }

    static func served(_ client: PostgresClient) async throws -> Int64 {
        var total: Int64 = -1
        for try await sum in try await client.query("SELECT COALESCE(SUM(bytes_served), 0)::BIGINT FROM usage_daily").decode(Int64.self) { total = sum }
        return total
    }

    @Test func theSameBatchAppliedTwiceCountsOnce() async throws {
        try await withStore { store, client, userID in
            var batch = UsageBatch()
            batch.rows[UsageKey(day: CalendarDay("2026-12-04")!, userID: userID, upstream: "docker.io", repository: "library/nginx")] = UsageCounts(
                requests: 1, blobPulls: 1, bytesServed: 1000
            )
            try await store.apply(batch)
            #expect(try await Self.served(client) == 1000)
            try await store.apply(batch)
            #expect(try await Self.served(client) == 1000)
            var other = UsageBatch()
            other.rows = batch.rows
            try await store.apply(other)  // a new id is new usage
            #expect(try await Self.served(client) == 2000)
        }
    }

    /// The commit went through but its acknowledgement was lost: the meter sends the
    /// batch again, and PostgreSQL keeps it once.
    @Test func aLostAcknowledgementIsRetriedAndAppliedOnce() async throws {
        try await withStore { store, client, userID in
            let sink = AcknowledgementLosingSink(store: store)
            let meter = UsageMeter(sink: sink, calendar: BillingCalendar(timeZone: TimeZone(identifier: "UTC")!), logger: quietLogger)
            meter.recordBytes(userID: userID, upstream: "docker.io", repository: "library/nginx", bytes: 700, fromCache: false)
            await #expect(throws: (any Error).self) { try await meter.flush() }
            #expect(try await Self.served(client) == 700)  // committed, though the meter does not know
            try await meter.flush()
            #expect(try await Self.served(client) == 700)
            #expect(sink.applied == 2)
        }
    }
}

/// Applies each batch, then for the first one throws as if the connection dropped
/// before the commit was acknowledged.
final class AcknowledgementLosingSink: UsageSink {
    let store: PostgresBillingStore
    private let calls = Atomic<Int>(0)
    var applied: Int { calls.load(ordering: .relaxed) }

    init(store: PostgresBillingStore) {
        self.store = store
    }

    func apply(_ batch: UsageBatch) async throws {
        struct AcknowledgementLost: Error {}
        try await store.apply(batch)
        if calls.add(1, ordering: .relaxed).newValue == 1 { throw AcknowledgementLost() }
    }

    func forgetBatches(olderThan age: TimeInterval) async throws {
        try await store.forgetBatches(olderThan: age)
    }
}
