import Accounts
import Billing
import Foundation
import PostgresNIO
import Testing

import FerryServer

/// The money findings of the 2026-12-04 billing review (B1-B13), each reproduced
/// against real PostgreSQL before it was fixed.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct MoneyFindingsTests {
    func report(_ ledger: Ledger, _ month: String) async throws -> UsageReport {
        try await ledger.billing.monthlyReport(month: month)
    }

    /// B1: grace days after `change-plan` run on the plan that was paid for, not on the
    /// unpaid next one.
    @Test func graceAfterChangePlanKeepsThePaidPlan() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-01")
            let alice = try await ledger.user("alice")
            _ = try await ledger.billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 300, reference: "A1", months: 1, planName: "basic")
            ledger.clock.set("2026-11-28")
            _ = try await ledger.billing.changePlan(userID: alice.id, username: "alice", planName: "pro")
            ledger.clock.set("2026-12-02")  // grace day 2, nothing renewed
            let standing = try #require(try await ledger.store.standing(userID: alice.id))
            #expect(ledger.billing.status(standing.subscription) == .pastDue)
            #expect(standing.plan.name == "basic")
            #expect(standing.plan.monthlyQuotaBytes == 50 << 30)
        }
    }

    /// B2: the same refund run twice is recorded once.
    @Test func aRetriedRefundIsNotCountedTwice() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-01")
            let bob = try await ledger.user("bob")
            _ = try await ledger.billing.recordPayment(userID: bob.id, username: "bob", amountMinor: 1500, reference: "B1", months: 1, planName: "pro")
            let first = try await ledger.billing.refund(reference: "B1", refundReference: "B1-outage", amountMinor: 500, reason: "outage")
            let again = try await ledger.billing.refund(reference: "B1", refundReference: "B1-outage", amountMinor: 500, reason: "outage")  // the same command again
            #expect(first.recorded && !again.recorded && again.refund.id == first.refund.id)
            #expect(try await ledger.billing.payments(userID: bob.id).first?.refundedMinor == 500)
            // The same refund reference with other details is refused; another reference is another refund.
            await #expect(throws: BillingError.self) {
                _ = try await ledger.billing.refund(reference: "B1", refundReference: "B1-outage", amountMinor: 100, reason: nil)
            }
            _ = try await ledger.billing.refund(reference: "B1", refundReference: "B1-goodwill", amountMinor: 100, reason: nil)
            #expect(try await ledger.billing.payments(userID: bob.id).first?.refundedMinor == 600)
            #expect(try await ledger.psql("SELECT count(*) FROM audit_log WHERE action = 'refund' AND target = 'bob'").output.trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        }
    }

    /// B3: a refund can end what it refunds: access stops and the refunded months are no
    /// longer due.
    @Test func refundAndEndStopAccessAndVoidTheRefundedMonths() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-15")
            let carol = try await ledger.user("carol")
            _ = try await ledger.billing.recordPayment(userID: carol.id, username: "carol", amountMinor: 900, reference: "C1", months: 3, planName: "basic")
            ledger.clock.set("2026-11-20")
            _ = try await ledger.billing.refund(reference: "C1", refundReference: "C1-unused", amountMinor: 600, reason: "unused months")
            let ended = try await ledger.billing.end(userID: carol.id, username: "carol", on: CalendarDay(year: 2026, month: 12, day: 15))
            #expect(ended.periodEnd == CalendarDay(year: 2026, month: 12, day: 15))
            ledger.clock.set("2026-12-16")  // no grace days after an end
            #expect(ledger.billing.status(ended) == .expired)
            #expect(try await ledger.store.standing(userID: carol.id).map { ledger.billing.status($0.subscription) } == .expired)
            ledger.clock.set("2027-01-20")
            #expect(ledger.billing.status(ended) == .expired)
            #expect(try await report(ledger, "2027-01").users.first { $0.username == "carol" }?.due ?? [:] == [:])
            #expect(try await report(ledger, "2026-12").users.first { $0.username == "carol" }?.due ?? [:] == [:])
            #expect(try await report(ledger, "2026-11").users.first { $0.username == "carol" }?.due == ["CNY": 300])
            // The voided periods stay in the books, marked.
            #expect(try await ledger.billing.subscriptionDetails(userID: carol.id)?.charges.map(\.voided) == [false, true, true])
            // `--end-access` ends access in the refund's own transaction.
            ledger.clock.set("2027-01-20")
            let dan = try await ledger.user("dan")
            _ = try await ledger.billing.recordPayment(userID: dan.id, username: "dan", amountMinor: 600, reference: "D1", months: 2, planName: "basic")
            let outcome = try await ledger.billing.refund(reference: "D1", refundReference: "D1-all", amountMinor: nil, reason: "left", endAccess: true)
            #expect(outcome.subscription?.periodEnd == CalendarDay(year: 2027, month: 1, day: 20))
            #expect(try await ledger.store.standing(userID: dan.id).map { ledger.billing.status($0.subscription) } == .expired)
            #expect(try await report(ledger, "2027-01").users.first { $0.username == "dan" }?.due ?? [:] == [:])
        }
    }

    /// B5: last month's report keeps the quota and sharing limit of last month's plan.
    @Test func theReportJudgesAMonthByThatMonthsPlan() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-01")
            let dave = try await ledger.user("dave")
            _ = try await ledger.billing.recordPayment(userID: dave.id, username: "dave", amountMinor: 300, reference: "D1", months: 1, planName: "basic")
            _ = try await ledger.psql("""
                INSERT INTO usage_daily VALUES ('2026-11-10', \(dave.id), 'docker.io', 'library/nginx', 10, 5, 5, \(40 << 30), 0);
                INSERT INTO usage_client_addresses SELECT '2026-11-10', \(dave.id), '10.0.0.' || n FROM generate_series(1, 5) n;
                """)
            let before = try #require(try await report(ledger, "2026-11").users.first)
            #expect(before.likelyShared && before.quotaUsedPercent == 80)
            ledger.clock.set("2026-12-05")
            _ = try await ledger.billing.recordPayment(userID: dave.id, username: "dave", amountMinor: 1500, reference: "D2", months: 1, planName: "pro")
            let after = try #require(try await report(ledger, "2026-11").users.first)
            #expect(after.likelyShared == before.likelyShared)
            #expect(after.quotaUsedPercent == before.quotaUsedPercent)
        }
    }

    /// B6: the dashboard's chart reads dates as dates, whatever the DateStyle.
    @Test func theChartReadsItsDaysUnderAnyDateStyle() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-10")
            let erin = try await ledger.user("erin")
            _ = try await ledger.psql("INSERT INTO usage_daily VALUES ('2026-11-10', \(erin.id), 'docker.io', 'library/nginx', 1, 1, 1, 1000, 0)")
            let name = String(ledger.databaseURL.split(separator: "/").last!.split(separator: "?").first!)
            _ = try await ledger.psql("ALTER DATABASE \(name) SET datestyle = 'German'")
            try await withDatabase(try DatabaseSettings.parse(ledger.databaseURL)) { german in
                let store = PostgresBillingStore(client: german, logger: quietLogger, calendar: ledger.billing.calendar)
                let days = try await store.dailyBytes(userID: erin.id, first: CalendarDay(year: 2026, month: 11, day: 1), next: CalendarDay(year: 2026, month: 12, day: 1))
                #expect(days.map(\.day) == [CalendarDay(year: 2026, month: 11, day: 10)])
                #expect(days.map(\.bytesServed) == [1000])
            }
        }
    }

    /// B7: months are bounded (1-120) on every path, and a huge count is refused, not a crash.
    @Test func monthsAreBoundedEverywhere() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-01")
            let frank = try await ledger.user("frank")
            await #expect(throws: BillingError.self) {
                _ = try await ledger.billing.start(userID: frank.id, username: "frank", planName: "basic", months: 1300)
            }
            #expect(try await ledger.billing.subscription(userID: frank.id) == nil)
            _ = try await ledger.billing.start(userID: frank.id, username: "frank", planName: "basic", months: 1)
            await #expect(throws: BillingError.self) {
                _ = try await ledger.billing.renew(userID: frank.id, months: 121, username: "frank")
            }
            await #expect(throws: BillingError.self) {
                _ = try await ledger.billing.renew(userID: frank.id, months: Int.max, username: "frank")
            }
            #expect(try await ledger.billing.subscription(userID: frank.id)?.periodEnd == CalendarDay(year: 2026, month: 12, day: 1))
        }
    }

    /// B8: the monthly report is one snapshot: usage flushed while it runs shows in all of
    /// it or in none of it.
    @Test func theReportIsOneSnapshot() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-20")
            let gail = try await ledger.user("gail")
            _ = try await ledger.billing.start(userID: gail.id, username: "gail", planName: "basic", months: 1)
            try await withDatabase(try DatabaseSettings.parse(ledger.databaseURL)) { client in
                try await client.withConnection { flusher in
                    // The report's last statement reads upstream_daily: hold it there while a
                    // flush commits usage and upstream bytes together.
                    try await flusher.query("BEGIN", logger: quietLogger)
                    try await flusher.query("LOCK TABLE upstream_daily IN ACCESS EXCLUSIVE MODE", logger: quietLogger)
                    let report = Task { try await ledger.billing.monthlyReport(month: "2026-11") }
                    try await waitForLockWait(ledger)
                    try await flusher.query("INSERT INTO usage_daily VALUES ('2026-11-20', \(gail.id), 'docker.io', 'library/nginx', 1, 1, 1, 5000, 0)", logger: quietLogger)
                    try await flusher.query("INSERT INTO upstream_daily VALUES ('2026-11-20', 'docker.io', 5000)", logger: quietLogger)
                    try await flusher.query("COMMIT", logger: quietLogger)
                    let seen = try await report.value
                    #expect((seen.bytesServed == 0) == (seen.upstreamBytes == 0), "served \(seen.bytesServed), fetched \(seen.upstreamBytes)")
                }
            }
        }
    }

    /// B11: editing a plan does not change the limits of periods already charged.
    @Test func planEditsLeavePaidPeriodsAlone() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-01")
            let hank = try await ledger.user("hank")
            _ = try await ledger.billing.recordPayment(userID: hank.id, username: "hank", amountMinor: 300, reference: "H1", months: 1, planName: "basic")
            ledger.clock.set("2026-11-20")
            _ = try await ledger.billing.editPlan(named: "basic") { plan in
                var plan = plan
                plan.monthlyQuotaBytes = 20 << 30
                plan.requestsPerMinute = 10
                return plan
            }
            let standing = try #require(try await ledger.store.standing(userID: hank.id))
            #expect(standing.plan.monthlyQuotaBytes == 50 << 30)
            #expect(standing.plan.requestsPerMinute == 600)
            // The next period is sold at the new limits.
            ledger.clock.set("2026-11-25")
            _ = try await ledger.billing.renew(userID: hank.id, months: 1, username: "hank")
            ledger.clock.set("2026-12-02")
            #expect(try await ledger.store.standing(userID: hank.id)?.plan.monthlyQuotaBytes == 20 << 30)
        }
    }

    /// B12: currencies are ISO 4217 codes.
    @Test func currenciesAreISOCodes() async throws {
        try await withLedger { ledger in
            ledger.clock.set("2026-11-01")
            let ivan = try await ledger.user("ivan")
            await #expect(throws: BillingError.self) {
                _ = try await ledger.billing.recordPayment(userID: ivan.id, username: "ivan", amountMinor: 300, currency: "CYN", reference: "I1", months: 1, planName: "basic")
            }
            var plan = try await ledger.billing.plan(named: "basic")
            plan.name = "typo"
            plan.currency = "CYN"
            #expect(throws: BillingError.self) { try plan.validate() }
            plan.currency = "EUR"
            try plan.validate()
        }
    }

    /// Waits until a statement of the ledger's database waits for a lock.
    func waitForLockWait(_ ledger: Ledger) async throws {
        for _ in 0..<200 {
            let waiting = try await ledger.psql("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'")
            if waiting.output.trimmingCharacters(in: .whitespacesAndNewlines) != "0" { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        Issue.record("nothing waited for the lock")
    }
}
