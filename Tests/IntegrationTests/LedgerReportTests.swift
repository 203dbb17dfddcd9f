import Accounts
import Billing
import Foundation
import Synchronization
import Testing

import FerryServer
import FerryTestSupport

/// The books against real PostgreSQL (billing review H3, H4, M1, M4, L7): charges frozen
/// per period, payments and refunds in their own currencies, a plan change from the next
/// period, a deleted user kept in the books, concurrent changes never lost. The expected
/// reports below were computed by hand from the scenario.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct LedgerReportTests {
    /// A settable clock for the services.
    final class Clock: Sendable {
        private let current = Mutex(Date())
        var now: Date { current.withLock { $0 } }
        func set(_ day: String, hour: Int = 12) {
            let date = ISO8601DateFormatter().date(from: "\(day)T\(hour < 10 ? "0" : "")\(hour):00:00Z")!
            current.withLock { $0 = date }
        }
    }

    func withLedger<T: Sendable>(_ body: @Sendable (BillingService, AccountService, Clock, String) async throws -> T) async throws -> T {
        let environment = try TestEnvironment.require()
        let databaseURL = try await environment.makeDatabase()
        return try await withMigratedDatabase(databaseURL) { database in
            let clock = Clock()
            let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
            let store = PostgresBillingStore(client: database, logger: quietLogger, calendar: calendar, now: { clock.now })
            let billing = BillingService(store: store, calendar: calendar, graceDays: 3, now: { clock.now })
            let hasher = Argon2PasswordHasher(parameters: Argon2Parameters(memoryKiB: 1024, iterations: 1, parallelism: 1))
            let accounts = AccountService(users: PostgresUserRepository(client: database, logger: quietLogger), hasher: hasher, now: { clock.now })
            return try await body(billing, accounts, clock, databaseURL)
        }
    }

    func psql(_ database: String, _ sql: String) async throws {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-qc", sql])
        #expect(result.succeeded, "\(result.error)")
    }

    func report(_ billing: BillingService, _ month: String) async throws -> UsageReport {
        try await billing.monthlyReport(month: month)
    }

    @Test func twoMonthsTwoCurrenciesARefundAPlanChangeAndADeletedUser() async throws {
        try await withLedger { billing, accounts, clock, database in
            clock.set("2026-10-01")
            let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
            let (bob, _) = try await accounts.createUser(username: "bob", email: nil, password: "correct-horse-9")
            let (carol, _) = try await accounts.createUser(username: "carol", email: nil, password: "correct-horse-9")
            _ = try await billing.addPlan(Plan(
                name: "team", priceMinor: 990, currency: "USD", monthlyQuotaBytes: 200 << 30, requestsPerMinute: 600,
                manifestPullsPerWindow: 200, manifestWindowSeconds: 21600, maxConcurrentDownloads: 8, maxClientAddressesPerDay: 5
            ))
            // Oct 15: alice pays 2 months of basic (3.00 each at the time) in one payment of 3.00.
            clock.set("2026-10-15")
            _ = try await billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 300, reference: "A1", months: 2, planName: "basic")
            // Oct 20: bob pays a month of team in USD.
            clock.set("2026-10-20")
            _ = try await billing.recordPayment(userID: bob.id, username: "bob", amountMinor: 990, reference: "B1", months: 1, planName: "team")
            // Oct 25: basic becomes 5.00; nothing already charged changes.
            clock.set("2026-10-25")
            _ = try await billing.editPlan(named: "basic") { plan in
                var plan = plan
                plan.priceMinor = 500
                return plan
            }
            // Nov 2: alice moves to pro from her next period (Nov 15).
            clock.set("2026-11-02")
            let (_, effective) = try await billing.changePlan(userID: alice.id, username: "alice", planName: "pro")
            #expect(effective == CalendarDay(year: 2026, month: 11, day: 15))
            // Nov 5: 4.90 USD of bob's payment is refunded.
            clock.set("2026-11-05")
            _ = try await billing.refund(reference: "B1", refundReference: "B1-outage", amountMinor: 490, reason: "outage")
            // Nov 10: carol starts basic at the new price; Nov 12 she pays 2.00 USD for another month.
            clock.set("2026-11-10")
            _ = try await billing.recordPayment(userID: carol.id, username: "carol", amountMinor: 500, reference: "C1", months: 1, planName: "basic")
            clock.set("2026-11-12")
            _ = try await billing.recordPayment(userID: carol.id, username: "carol", amountMinor: 200, currency: "USD", reference: "C2", months: 1, planName: nil)
            // Usage, then bob is deleted: his usage and money stay in the books.
            try await psql(database, """
                INSERT INTO usage_daily VALUES ('2026-10-20', \(alice.id), 'docker.io', 'library/nginx', 5, 2, 3, 1000, 500),
                                               ('2026-11-16', \(alice.id), 'docker.io', 'library/nginx', 2, 1, 1, 3000, 0),
                                               ('2026-10-21', \(bob.id), 'quay.io', 'coreos/etcd', 6, 4, 2, 2000, 2000);
                INSERT INTO usage_client_addresses VALUES ('2026-10-20', \(alice.id), '10.0.0.1'), ('2026-10-20', \(alice.id), '10.0.0.2'),
                                                          ('2026-10-21', \(bob.id), '10.0.0.3');
                INSERT INTO upstream_daily VALUES ('2026-10-20', 'docker.io', 500);
                """)
            clock.set("2026-11-20")
            try await accounts.deleteUser("bob")

            let october = try await report(billing, "2026-10")
            #expect(try october.rendered(as: .csv) == """
                username,deleted,plan,manifest_pulls,blob_pulls,bytes_served,cache_hit_ratio,quota_used_percent,peak_client_addresses,likely_shared,due_minor,paid_minor,refunded_minor
                alice,false,basic,2,3,1000,0.5000,0.00,2,false,CNY:300,CNY:300,
                bob,true,team,4,2,2000,1.0000,0.00,1,false,USD:990,USD:990,

                """)
            #expect(october.revenue == ["CNY": 300, "USD": 990])
            #expect(october.upstreamBytes == 500 && october.bytesSaved == 2500)

            let november = try await report(billing, "2026-11")
            #expect(try november.rendered(as: .csv) == """
                username,deleted,plan,manifest_pulls,blob_pulls,bytes_served,cache_hit_ratio,quota_used_percent,peak_client_addresses,likely_shared,due_minor,paid_minor,refunded_minor
                alice,false,pro,1,1,3000,0.0000,0.00,0,false,CNY:1500,,
                bob,true,team,0,0,0,0.0000,0.00,0,false,,,USD:490
                carol,false,basic,0,0,0,0.0000,0.00,0,false,CNY:500,CNY:500;USD:200,

                """)
            #expect(november.due == ["CNY": 2000])
            #expect(november.paid == ["CNY": 500, "USD": 200])
            #expect(november.refunded == ["USD": 490])
            #expect(november.revenue == ["CNY": 500, "USD": -290])
            #expect(try november.rendered(as: .table).contains("revenue 5.00 CNY + -2.90 USD"))

            // December: alice's prepaid coverage ends Dec 15 and nothing new starts, so
            // nothing is due for her; carol's second period (Dec 10) is due at 5.00 CNY.
            let december = try await report(billing, "2026-12")
            #expect(try december.rendered(as: .csv) == """
                username,deleted,plan,manifest_pulls,blob_pulls,bytes_served,cache_hit_ratio,quota_used_percent,peak_client_addresses,likely_shared,due_minor,paid_minor,refunded_minor
                alice,false,pro,0,0,0,0.0000,0.00,0,false,,,
                carol,false,basic,0,0,0,0.0000,0.00,0,false,CNY:500,,

                """)

            // A one-month period from 15 Nov is due once, in November only.
            clock.set("2026-11-15")
            let (dave, _) = try await accounts.createUser(username: "dave", email: nil, password: "correct-horse-9")
            _ = try await billing.recordPayment(userID: dave.id, username: "dave", amountMinor: 500, reference: "D1", months: 1, planName: "basic")
            #expect(try await report(billing, "2026-11").users.first { $0.username == "dave" }?.due == ["CNY": 500])
            #expect(try await report(billing, "2026-12").users.first { $0.username == "dave" }?.due ?? [:] == [:])
        }
    }

    @Test func paymentsAndPlanChangesThatWouldLoseMoneyAreRefused() async throws {
        try await withLedger { billing, accounts, clock, _ in
            clock.set("2026-11-03")
            let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
            let (bob, _) = try await accounts.createUser(username: "bob", email: nil, password: "correct-horse-9")
            _ = try await billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 900, reference: "R-1", months: 3, planName: "basic")
            // The same reference for another user is refused, not credited twice.
            await #expect(throws: BillingError.self) {
                _ = try await billing.recordPayment(userID: bob.id, username: "bob", amountMinor: 900, reference: "R-1", months: 3, planName: "basic")
            }
            // An exact replay changes nothing.
            #expect(try await billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 900, reference: "R-1", months: 3, planName: "basic").recorded == false)
            // Starting over a prepaid subscription would discard paid months: refused.
            await #expect(throws: BillingError.self) { _ = try await billing.start(userID: alice.id, username: "alice", planName: "pro", months: 1) }
            // --plan on a payment changes the plan from the next period, never silently ignored.
            let outcome = try await billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 1500, reference: "R-2", months: 1, planName: "pro")
            #expect(outcome.subscription?.periodEnd == CalendarDay(year: 2027, month: 3, day: 3))
            let charges = try #require(try await billing.subscriptionDetails(userID: alice.id)).charges
            #expect(charges.map(\.planName) == ["basic", "pro", "pro", "pro"])
            #expect(charges.map(\.amountMinor) == [300, 1500, 1500, 1500])
            // Refunds never exceed the payment.
            _ = try await billing.refund(reference: "R-2", refundReference: "R-2-all", amountMinor: nil, reason: nil)
            await #expect(throws: BillingError.self) { _ = try await billing.refund(reference: "R-2", refundReference: "R-2-more", amountMinor: 1, reason: nil) }
        }
    }

    @Test func concurrentRenewalsCancellationsAndPaymentsNeverLoseAnExtension() async throws {
        try await withLedger { billing, accounts, clock, _ in
            clock.set("2026-11-03")
            // Review W5: 50 rounds, the three changes released together from one latch,
            // so their transactions overlap instead of running one after another.
            for round in 0..<50 {
                let (user, _) = try await accounts.createUser(username: "user\(round)", email: nil, password: "correct-horse-9")
                _ = try await billing.start(userID: user.id, username: user.username, planName: "basic", months: 1)
                let start = BlobGate()
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        await start.wait()
                        _ = try await billing.renew(userID: user.id, months: 1, username: user.username)
                    }
                    group.addTask {
                        await start.wait()
                        _ = try await billing.recordPayment(userID: user.id, username: user.username, amountMinor: 300, reference: "P-\(round)", months: 1, planName: nil)
                    }
                    group.addTask {
                        await start.wait()
                        _ = try await billing.cancel(userID: user.id, username: user.username)
                    }
                    while start.waiting < 3 { await Task.yield() }
                    start.open()
                    try await group.waitForAll()
                }
                let subscription = try #require(try await billing.subscription(userID: user.id))
                #expect(subscription.periodEnd == CalendarDay(year: 2027, month: 2, day: 3), "round \(round)")
                #expect(try await billing.subscriptionDetails(userID: user.id)?.charges.count == 3)
            }
        }
    }

    @Test func datesReadTheSameUnderAnyDateStyle() async throws {
        try await withLedger { billing, accounts, clock, database in
            clock.set("2026-11-30")
            let (alice, _) = try await accounts.createUser(username: "alice", email: nil, password: "correct-horse-9")
            _ = try await billing.start(userID: alice.id, username: "alice", planName: "basic", months: 1)
            let name = String(database.split(separator: "/").last!.split(separator: "?").first!)
            try await psql(database, "ALTER DATABASE \(name) SET datestyle = 'German'")
            // New connections (this test's pool may hold old ones) see the setting.
            let germanURL = database
            try await withDatabase(try DatabaseSettings.parse(germanURL)) { german in
                let rows = try await german.query("SHOW datestyle")
                for try await style in rows.decode(String.self) { #expect(style.hasPrefix("German")) }
                let store = PostgresBillingStore(client: german, logger: quietLogger, calendar: billing.calendar, now: { clock.now })
                let subscription = try #require(try await store.subscription(userID: alice.id))
                #expect(subscription.periodStart == CalendarDay(year: 2026, month: 11, day: 30))
                #expect(subscription.periodEnd == CalendarDay(year: 2026, month: 12, day: 30))
                #expect(try await store.standing(userID: alice.id)?.plan.name == "basic")
            }
        }
    }
}
