import AsyncHTTPClient
import Billing
import Foundation
import NIOCore
import Testing

/// Plans, quotas, rate limits and metering against real PostgreSQL, the real registry
/// and real clients.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct BillingIntegrationTests {
    func psql(_ database: String, _ sql: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/psql", [database, "-tAc", sql])
        #expect(result.succeeded, "\(result.error)")
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func pulledBytes(_ directory: String) throws -> (blobs: Int64, manifest: Int64) {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory)
        func size(_ name: String) throws -> Int64 { (try FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as! NSNumber).int64Value }
        let blobs = try files.filter { $0.count == 64 }.reduce(Int64(0)) { $0 + (try size($1)) }
        return (blobs, try size("manifest.json"))
    }

    @Test func servedBytesEqualWhatTheClientReceivedAndUsersDoNotMix() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            let alice = try await subscriber.addSubscriber("alice")
            let bob = try await subscriber.addSubscriber("bob", plan: "pro")
            let aliceDirectory = temporaryDirectory("alice")
            let bobDirectory = temporaryDirectory("bob")
            let first = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: aliceDirectory, credentials: "alice:correct-horse-9")
            #expect(first.succeeded, "\(first.error)")
            let second = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/big:v1", to: bobDirectory, credentials: "bob:correct-horse-9")
            #expect(second.succeeded, "\(second.error)")
            try await subscriber.meter!.flush()

            for (user, directory) in [(alice, aliceDirectory), (bob, bobDirectory)] {
                let (blobs, manifest) = try pulledBytes(directory)
                let row = try await psql(subscriber.databaseURL, "SELECT SUM(bytes_served), SUM(manifest_pulls), SUM(blob_pulls) FROM usage_daily WHERE user_id = \(user.id)")
                let numbers = row.split(separator: "|").compactMap { Int64($0) }
                try #require(numbers.count == 3, "\(row)")
                // Review W3: exact figures from what the client holds, not from the rows
                // themselves: one manifest GET per single-arch image, one GET per blob.
                let blobFiles = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.count == 64 }.count
                #expect(numbers[1] == 1, "\(user.username): \(numbers[1]) manifest pulls")
                #expect(numbers[0] == blobs + manifest, "\(user.username): served \(numbers[0]) for blobs \(blobs) + manifest \(manifest)")
                #expect(numbers[2] == Int64(blobFiles), "\(user.username): \(numbers[2]) blob pulls for \(blobFiles) blobs")
            }
            let repositories = try await psql(subscriber.databaseURL, "SELECT string_agg(DISTINCT repository, ',') FROM usage_daily WHERE user_id = \(alice.id)")
            #expect(repositories == "ferry/small")
            let upstreamBytes = Int64(try await psql(subscriber.databaseURL, "SELECT COALESCE(SUM(bytes), 0) FROM upstream_daily")) ?? 0
            #expect(upstreamBytes > 60 << 20)
            let addresses = try await psql(subscriber.databaseURL, "SELECT COUNT(*) FROM usage_client_addresses WHERE user_id = \(alice.id)")
            #expect(addresses == "1")
        }
    }

    /// Over quota, new blob downloads get 429 with the reset date, while a download that
    /// started under the quota finishes. (Checked over HTTP: skopeo, like every
    /// containers/image client, waits out a 429's Retry-After up to five times before it
    /// shows the message, which for a monthly quota is minutes.)
    @Test func overQuotaDownloadsAreRefusedWithTheResetDate() async throws {
        let environment = try TestEnvironment.require()
        let big = try #require(try environment.layoutLayers("big").first)
        let small = try environment.layoutLayers("small")
        try await withSubscriberFerry(billing: true) { subscriber in
            _ = try await subscriber.billing!.addPlan(Plan(
                name: "tiny", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1024, requestsPerMinute: 600,
                manifestPullsPerWindow: 100, manifestWindowSeconds: 3600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3
            ))
            try await subscriber.addSubscriber("alice", plan: "tiny")
            let service = subscriber.configuration.tokenService
            var tokenRequest = HTTPClientRequest(url: "\(subscriber.ferry.url)/token?service=\(service)&scope=repository:ferry/big:pull&scope=repository:ferry/small:pull")
            tokenRequest.headers.add(name: "Authorization", value: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString())
            let tokenBody = try await HTTPClient.shared.execute(tokenRequest, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
            let token = try #require((try JSONSerialization.jsonObject(with: Data(tokenBody.readableBytesView)) as? [String: Any])?["token"] as? String)
            func blob(_ repository: String, _ digest: String) async throws -> (HTTPClientResponse, Int) {
                var request = HTTPClientRequest(url: "\(subscriber.ferry.url)/v2/\(repository)/blobs/\(digest)")
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
                var received = 0
                for try await chunk in response.body { received += chunk.readableBytes }
                return (response, received)
            }
            // Started with the quota unused: runs to the end although it passes the quota.
            let (first, received) = try await blob("ferry/big", big.digest)
            #expect(first.status == .ok)
            #expect(received == big.size)
            let (refused, _) = try await blob("ferry/small", small[1].digest)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 > 0 } == true)
            let usage = try await subscriber.billing!.subscription(userID: try await subscriber.accounts.user("alice").id)
            var errorRequest = HTTPClientRequest(url: "\(subscriber.ferry.url)/v2/ferry/small/blobs/\(small[1].digest)")
            errorRequest.headers.add(name: "Authorization", value: "Bearer \(token)")
            let message = String(buffer: try await HTTPClient.shared.execute(errorRequest, timeout: .seconds(10)).body.collect(upTo: 1 << 16))
            #expect(message.contains("TOOMANYREQUESTS"))
            #expect(message.contains("monthly transfer quota of 1.0 KiB used up; it resets on \(usage!.periodEnd)"), "\(message)")
        }
    }

    @Test func rateAndManifestPullLimitsAnswer429WithHeaders() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            _ = try await subscriber.billing!.addPlan(Plan(
                name: "slow", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 5,
                manifestPullsPerWindow: 2, manifestWindowSeconds: 21600, maxConcurrentDownloads: 4, maxClientAddressesPerDay: 3
            ))
            try await subscriber.addSubscriber("alice", plan: "slow")
            let service = subscriber.configuration.tokenService
            var tokenRequest = HTTPClientRequest(url: "\(subscriber.ferry.url)/token?service=\(service)&scope=repository:ferry/small:pull")
            tokenRequest.headers.add(name: "Authorization", value: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString())
            let tokenBody = try await HTTPClient.shared.execute(tokenRequest, timeout: .seconds(10)).body.collect(upTo: 1 << 20)
            let token = try #require((try JSONSerialization.jsonObject(with: Data(tokenBody.readableBytesView)) as? [String: Any])?["token"] as? String)

            func manifest() async throws -> HTTPClientResponse {
                var request = HTTPClientRequest(url: "\(subscriber.ferry.url)/v2/ferry/small/manifests/v1")
                request.headers.add(name: "Authorization", value: "Bearer \(token)")
                request.headers.add(name: "Accept", value: "application/vnd.oci.image.manifest.v1+json")
                let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
                _ = try await response.body.collect(upTo: 1 << 20)
                return response
            }
            let first = try await manifest()
            #expect(first.status == .ok)
            #expect(first.headers.first(name: "ratelimit-limit") == "2;w=21600")
            #expect(first.headers.first(name: "ratelimit-remaining") == "1;w=21600")
            #expect(try await manifest().headers.first(name: "ratelimit-remaining") == "0;w=21600")
            let limited = try await manifest()
            #expect(limited.status == .tooManyRequests)
            #expect(limited.headers.first(name: "Retry-After").flatMap(Int.init).map { $0 > 21000 } == true)
            #expect(limited.headers.first(name: "ratelimit-limit") == "2;w=21600")
            #expect(limited.headers.first(name: "ratelimit-remaining") == "0;w=21600")

            // Five requests a minute: the token request and the three manifest calls used four
            // (a token request takes from the bucket too: review S10); one more passes, then 429.
            var request = HTTPClientRequest(url: "\(subscriber.ferry.url)/v2/")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            var statuses: [UInt] = []
            for _ in 0..<3 { statuses.append(try await HTTPClient.shared.execute(request, timeout: .seconds(10)).status.code) }
            #expect(statuses == [200, 429, 429])
        }
    }

    /// Review M3: a HEAD of a manifest (as docker and containerd send before the GET)
    /// is neither a pull for the limit nor a pull in the usage rows and the report.
    @Test func manifestHeadsAreNotCountedAsPulls() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            let alice = try await subscriber.addSubscriber("alice")
            let token = try await subscriber.bearerToken("alice", repositories: ["ferry/small"])
            let accept = [("Accept", "application/vnd.oci.image.manifest.v1+json")]
            let head = try await subscriber.send(.HEAD, "/v2/ferry/small/manifests/v1", token: token, headers: accept).response
            #expect(head.status == .ok)
            #expect(head.headers.first(name: "ratelimit-remaining") == "200;w=21600")
            try await subscriber.meter!.flush()
            #expect(try await subscriber.psql("SELECT SUM(requests), SUM(manifest_pulls) FROM usage_daily WHERE user_id = \(alice.id)") == "1|0")
            let get = try await subscriber.send(.GET, "/v2/ferry/small/manifests/v1", token: token, headers: accept).response
            #expect(get.headers.first(name: "ratelimit-remaining") == "199;w=21600")
            try await subscriber.meter!.flush()
            #expect(try await subscriber.psql("SELECT SUM(requests), SUM(manifest_pulls) FROM usage_daily WHERE user_id = \(alice.id)") == "2|1")
        }
    }

    @Test func anExpiredSubscriptionMakesDockerLoginFailWithTheDate() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            let alice = try await subscriber.addSubscriber("alice")
            let billing = subscriber.billing!
            var subscription = try #require(try await billing.subscription(userID: alice.id))
            let calendar = billing.calendar
            subscription.periodStart = calendar.adding(months: -2, to: billing.today, anchorDay: billing.today.day)
            subscription.periodEnd = calendar.adding(days: -10, to: billing.today)
            try await subscriber.withStore { [subscription] in try await $0.save(subscription) }
            let login = try await ProcessRunner.run(
                "/usr/bin/env", ["docker", "login", subscriber.ferry.address, "-u", "alice", "--password-stdin"],
                environment: ["DOCKER_CONFIG": temporaryDirectory("docker")], input: "correct-horse-9\n"
            )
            #expect(login.status == 1)
            #expect(login.error.contains("subscription for alice expired on \(subscription.periodEnd)"), "\(login.error)")

            // A payment brings access back; recording it twice changes nothing.
            let first = try await billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 300, reference: "order-1", months: 1, planName: nil)
            let again = try await billing.recordPayment(userID: alice.id, username: "alice", amountMinor: 300, reference: "order-1", months: 1, planName: nil)
            #expect(first.recorded && !again.recorded)
            #expect(first.subscription?.periodEnd == again.subscription?.periodEnd)
            let relogin = try await ProcessRunner.run(
                "/usr/bin/env", ["docker", "login", subscriber.ferry.address, "-u", "alice", "--password-stdin"],
                environment: ["DOCKER_CONFIG": temporaryDirectory("docker")], input: "correct-horse-9\n"
            )
            #expect(relogin.succeeded, "\(relogin.error)")
        }
    }

    @Test func subscribersSeeTheirOwnUsage() async throws {
        try await withSubscriberFerry(billing: true) { subscriber in
            try await subscriber.addSubscriber("alice")
            _ = try await ProcessRunner.skopeoPull("\(subscriber.ferry.address)/ferry/small:v1", to: temporaryDirectory("own"), credentials: "alice:correct-horse-9")
            var request = HTTPClientRequest(url: "\(subscriber.ferry.url)/account/usage")
            request.headers.add(name: "Authorization", value: "Basic " + Data("alice:correct-horse-9".utf8).base64EncodedString())
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .ok)
            let json = try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
            #expect((json["plan"] as? [String: Any])?["name"] as? String == "basic")
            #expect((json["subscription"] as? [String: Any])?["status"] as? String == "active")
            let quota = try #require(json["quota"] as? [String: Any])
            #expect((quota["usedBytes"] as? Int ?? 0) > 1_000_000)
            #expect((quota["bytes"] as? Int) == 50 << 30)
        }
    }
}
