import FerryServer
import Foundation
import PostgresNIO
import Testing

/// PostgreSQL stopped while a notification is being applied: the provider is told to
/// retry (`fail`, 503), nothing of the notification is kept, and the retry after the
/// restart applies it once.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)), .serialized)
struct PaymentOutageTests {
    func postgres(_ command: String, _ directory: String, port: Int) async throws -> String {
        let result = try await ProcessRunner.run("/bin/bash", ["\(OperationsTests.scripts)/local-postgres.sh", command, directory, String(port)])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func postgresStoppedMidNotificationAnswersFailAndTheRetryAppliesOnce() async throws {
        let directory = temporaryDirectory("payment-outage-postgres")
        let pgPort = reserveFreePort()
        let database = try await postgres("start", directory, port: pgPort)
        defer { _ = try? Process.run(URL(fileURLWithPath: "/bin/bash"), arguments: ["\(OperationsTests.scripts)/local-postgres.sh", "stop", directory]) }
        try await withPaymentServer(database: database) { server in
            try await server.addUser("fay")
            #expect(try await server.ferry(["subscription", "start", "fay", "--plan", "basic"]).succeeded)
            let before = try await server.periodEnd("fay")
            let (order, amount) = try PaymentKeys.order(inAlipayURL: try await server.order("fay", provider: "alipay"))
            let body = try server.keys.alipayNotification(order: order, amount: amount, tradeNo: "T-OUTAGE", notifyID: "n-outage")

            // Hold the order's row, so the notification's transaction stops half way, after
            // it has stored the event; then stop PostgreSQL under it.
            let answer = try await withDatabase(try DatabaseSettings.parse(database)) { client in
                try await client.withConnection { holder in
                    try await holder.query("BEGIN", logger: quietLogger)
                    try await holder.query("SELECT id FROM orders WHERE order_number = \(order) FOR UPDATE", logger: quietLogger)
                    let notification = Task { try await ProviderPost.alipay(server.url, body, timeout: 180) }
                    var waiting = false
                    for _ in 0..<200 where !waiting {
                        let rows = try await holder.query("SELECT count(*)::BIGINT FROM pg_stat_activity WHERE wait_event_type = 'Lock'", logger: quietLogger)
                        for try await count in rows.decode(Int64.self) { waiting = count > 0 }
                        if !waiting { try await Task.sleep(for: .milliseconds(50)) }
                    }
                    #expect(waiting, "the notification never waited for the order")
                    _ = try await postgres("stop", directory, port: pgPort)
                    return try await notification.value
                }
            }
            #expect(answer.status == 503 && answer.text == "fail", "\(answer)")

            _ = try await postgres("start", directory, port: pgPort)
            #expect(try await server.psql("SELECT count(*) FROM payment_events") == "0", "nothing of the failed attempt was kept")
            #expect(try await server.psql("SELECT count(*) FROM payments") == "0")
            #expect(try await server.periodEnd("fay") == before)

            // The provider's retry, once PostgreSQL is back (the server reconnects by itself).
            var retried = (status: 0, text: "")
            for _ in 0..<300 where retried.text != "success" {
                retried = try await ProviderPost.alipay(server.url, body)
                if retried.text != "success" { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(retried.status == 200 && retried.text == "success", "\(retried)")
            #expect(try await ProviderPost.alipay(server.url, body).text == "success")
            #expect(try await server.psql("SELECT count(*) FROM payments") == "1")
            #expect(try await server.psql("SELECT outcome || ' ' || deliveries FROM payment_events") == "applied 2")
            #expect(try await server.periodEnd("fay") > before)
        }
    }
}
