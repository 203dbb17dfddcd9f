import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real `ferry serve` with Alipay and Stripe configured (test keys), over a
/// database of its own, and what a test needs to act as a subscriber and as the providers.
struct PaymentServer: Sendable {
    let url: String
    let database: String
    let keys: PaymentKeys

    /// Runs the `ferry` CLI against the server's database (with the server's payment
    /// keys, which `payment replay` and `resolve` verify with).
    func ferry(_ arguments: [String], input: String? = nil) async throws -> ProcessResult {
        try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database].merging(keys.environment) { $1 }, input: input)
    }

    /// The single value `sql` selects.
    func psql(_ sql: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-qtAc", sql])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Creates a user (password `correct-horse-9`).
    func addUser(_ name: String) async throws {
        let added = try await ferry(["user", "add", name, "--password-stdin"], input: "correct-horse-9")
        #expect(added.succeeded, "\(added.error)")
    }

    /// Signs `user` in to the portal and presses a pay button of `/account/billing`;
    /// returns the provider URL the browser is sent to.
    func order(_ user: String, provider: String, plan: String = "basic", months: Int = 1, browser: PortalClient? = nil) async throws -> String {
        let client = browser ?? PortalClient(base: url)
        if browser == nil { try await client.signIn(user, "correct-horse-9") }
        let page = try await client.get("/account/billing")
        #expect(page.status == 200, "\(page.html.prefix(300))")
        let csrf = try #require(PortalClient.csrf(in: page.html))
        let answer = try await client.post("/account/billing/orders", ["csrf": csrf, "plan": plan, "months": String(months), "provider": provider])
        if browser == nil { try await client.shutdown() }
        #expect(answer.status == 303, "\(answer.status): \(answer.html.prefix(400))")
        return try #require(answer.location)
    }

    /// The subscription's period end of `user` (`YYYY-MM-DD`, or empty).
    func periodEnd(_ user: String) async throws -> String {
        try await psql("SELECT period_end FROM subscriptions s JOIN users u ON u.id = s.user_id WHERE u.username = '\(user)'")
    }
}

/// Runs `body` with `ferry serve` (payments on) over `database` (default: a new one).
func withPaymentServer<T: Sendable>(
    database: String? = nil, environment extra: [String: String] = [:], _ body: @Sendable (PaymentServer) async throws -> T
) async throws -> T {
    let environment = try TestEnvironment.require()
    var database = database ?? ""
    if database.isEmpty { database = try await environment.makeDatabase() }
    let keys = try PaymentKeys.make(in: temporaryDirectory("payment-keys"))
    let port = reserveFreePort()
    let server = try await FerryProcess.serve(
        port: port, dataDirectory: temporaryDirectory("payments"), upstream: environment.upstream.absoluteString,
        environment: ["FERRY_DATABASE_URL": database, "FERRY_USAGE_FLUSH_INTERVAL": "5m", "FERRY_LOG_LEVEL": "info"].merging(keys.environment) { $1 }
            .merging(extra) { $1 },
        log: keys.directory + "/ferry.log"
    )
    do {
        let result = try await body(PaymentServer(url: "http://127.0.0.1:\(port)", database: database, keys: keys))
        kill(server.processIdentifier, SIGKILL)
        return result
    } catch {
        kill(server.processIdentifier, SIGKILL)
        throw error
    }
}
