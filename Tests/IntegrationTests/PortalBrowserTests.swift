import Billing
import Foundation
import Testing

/// End to end in a real browser: Ferry with PostgreSQL, driven by Debian's headless
/// Chromium over the DevTools protocol. Signs in, creates a token, logs the docker CLI
/// in with it, pulls through Ferry, and sees the pull on the dashboard's chart.
/// Screenshots are saved in the test's temporary directory (printed at the end).
/// Review D6: enabled like every integration suite; a missing browser is a failure
/// (under `FERRY_INTEGRATION=required`), never a silent skip.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PortalBrowserTests {
    @Test func signInCreateATokenLogInWithDockerAndSeeThePullOnTheChart() async throws {
        try #require(HeadlessChromium.isInstalled, "chromium is missing at /usr/bin/chromium (scripts/install-deps.sh installs it)")
        let directory = temporaryDirectory("portal-browser")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try await withSubscriberFerry(billing: true) { subscriber in
            let alice = try await subscriber.addSubscriber("alice", plan: "pro")
            try await subscriber.addSubscriber("bob")
            try await subscriber.addUser("root")
            _ = try await subscriber.accounts.setRole("root", .admin)
            try await Self.addEarlierTraffic(for: alice.id, subscriber: subscriber)
            let base = subscriber.ferry.url
            let token = try await HeadlessChromium.run(in: directory) { pageURL in
                try await DevToolsSession.withPage(pageURL) { page in
                    try await page.call("Emulation.setDeviceMetricsOverride", ["width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false])
                    try await page.navigate("\(base)/account")
                    try await page.waitUntil("location.pathname === '/account/sign-in'")
                    try await page.screenshot(to: directory + "/01-sign-in.png")

                    // A wrong password first: the form says so.
                    try await page.markDocument()
                    try await page.evaluate("""
                        document.getElementById('username').value = 'alice';
                        document.getElementById('password').value = 'not-the-password';
                        document.querySelector('main form button[type=submit]').click();
                        """)
                    try await page.waitForNewDocument()
                    try await page.waitUntil("document.querySelector('.flash.error') !== null")
                    #expect(try await page.evaluate("document.querySelector('.flash.error').textContent") as? String == "Wrong username or password.")

                    try await page.markDocument()
                    try await page.evaluate("""
                        document.getElementById('password').value = 'correct-horse-9';
                        document.querySelector('main form button[type=submit]').click();
                        """)
                    try await page.waitUntil("location.pathname === '/account' && document.querySelector('h1').textContent === 'Dashboard'")
                    #expect(try await page.evaluate("document.cookie") as? String == "", "the session cookie is HttpOnly")

                    try await page.navigate("\(base)/account/access")
                    try await page.markDocument()
                    try await page.evaluate("""
                        document.getElementById('token-name').value = 'laptop';
                        document.getElementById('token-password').value = 'correct-horse-9';
                        document.querySelector('form[action="/account/tokens"] button').click();
                        """)
                    try await page.waitUntil("document.getElementById('new-secret') !== null")
                    try await page.screenshot(to: directory + "/02-token-created.png")
                    return try #require(try await page.evaluate("document.getElementById('new-secret').textContent") as? String)
                }
            }
            #expect(token.hasPrefix("ferry_pat_"))

            let login = try await ProcessRunner.run(
                "/usr/bin/env", ["docker", "login", subscriber.ferry.address, "-u", "alice", "--password-stdin"],
                environment: ["DOCKER_CONFIG": directory + "/docker"], input: token + "\n"
            )
            #expect(login.succeeded, "\(login.error)")
            #expect(login.output.contains("Login Succeeded"))
            let pulled = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/big:v1", to: directory + "/image", credentials: "alice:\(token)")
            #expect(pulled.succeeded, "\(pulled.error)")
            try await subscriber.meter!.flush()

            try await HeadlessChromium.run(in: directory) { pageURL in
                try await DevToolsSession.withPage(pageURL) { page in
                    try await page.call("Emulation.setDeviceMetricsOverride", ["width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false])
                    try await page.navigate("\(base)/account/sign-in")
                    try await page.markDocument()
                    try await page.evaluate("""
                        document.getElementById('username').value = 'alice';
                        document.getElementById('password').value = 'correct-horse-9';
                        document.querySelector('main form button[type=submit]').click();
                        """)
                    try await page.waitUntil("location.pathname === '/account' && document.querySelector('svg.chart') !== null")
                    let today = subscriber.billing!.today.day
                    let bars = try await page.evaluate("Array.from(document.querySelectorAll('svg.chart rect.bar title')).map(t => t.textContent)") as? [String] ?? []
                    let todayLabel = subscriber.billing!.today.description
                    #expect(bars.contains { $0.hasPrefix(todayLabel + ": ") && $0.contains("MiB") }, "\(bars)")
                    #expect(bars.count == min(today, 4), "\(bars)")
                    let repositories = try await page.evaluate("Array.from(document.querySelectorAll('table code')).map(c => c.textContent)") as? [String] ?? []
                    #expect(repositories.contains { $0.hasSuffix("ferry/big") }, "\(repositories)")
                    try await page.screenshot(to: directory + "/03-dashboard.png")
                    try await page.call("Emulation.setDeviceMetricsOverride", ["width": 390, "height": 844, "deviceScaleFactor": 1, "mobile": true])
                    try await page.navigate("\(base)/account")
                    #expect(try await page.evaluate("document.documentElement.scrollWidth <= 390") as? Bool == true, "no sideways scrolling on a phone")
                    try await page.screenshot(to: directory + "/05-dashboard-phone.png")
                    try await page.call("Emulation.setDeviceMetricsOverride", ["width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": false])
                    try await page.navigate("\(base)/account/setup")
                    try await page.screenshot(to: directory + "/04-setup.png")

                    // The operator's view of the same month.
                    try await page.markDocument()
                    try await page.evaluate("document.querySelector('form.signout button').click()")
                    try await page.waitForNewDocument()
                    try await page.markDocument()
                    try await page.evaluate("""
                        document.getElementById('username').value = 'root';
                        document.getElementById('password').value = 'correct-horse-9';
                        document.querySelector('main form button[type=submit]').click();
                        """)
                    try await page.waitForNewDocument()
                    try await page.navigate("\(base)/account/admin")
                    let row = try await page.evaluate("Array.from(document.querySelectorAll('tbody tr')).map(r => r.textContent).find(t => t.includes('alice'))") as? String ?? ""
                    #expect(row.contains("pro") && row.contains("MiB"), "\(row)")
                    try await page.screenshot(to: directory + "/06-operator.png")
                }
            }
        }
        for name in ["01-sign-in", "02-token-created", "03-dashboard", "04-setup", "05-dashboard-phone", "06-operator"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(name).png")[.size] as? Int) ?? 0
            #expect(size > 10_000, "\(name).png")
        }
        print("portal screenshots: \(directory)")
    }

    /// Usage on up to three earlier days of the month (as flushed by an earlier run), so
    /// the chart has more than today's bar.
    static func addEarlierTraffic(for userID: Int64, subscriber: SubscriberFerry) async throws {
        let billing = subscriber.billing!
        let today = billing.today
        var batch = UsageBatch()
        for offset in 1...3 where today.day - offset >= 1 {
            let day = billing.calendar.adding(days: -offset, to: today)
            batch.rows[UsageKey(day: day, userID: userID, upstream: "registry.test", repository: "library/alpine")] = UsageCounts(
                requests: 12, manifestPulls: 4, blobPulls: 8, bytesServed: Int64(40 + 25 * offset) << 20, hitBytes: Int64(30 + 10 * offset) << 20
            )
        }
        guard !batch.rows.isEmpty else { return }
        try await subscriber.withStore { [batch] in try await $0.apply(batch) }
    }
}
