import Billing
import FerryServer
import FerryTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import Synchronization
import Testing

/// Log lines kept for a test, and a stream that yields each one as it is written.
final class CapturedLog: Sendable {
    private let lines = Mutex<[(message: String, metadata: [String: String])]>([])
    let written: AsyncStream<[String: String]>
    private let continuation: AsyncStream<[String: String]>.Continuation

    init() {
        (written, continuation) = AsyncStream.makeStream()
    }

    func add(_ message: String, _ metadata: [String: String]) {
        lines.withLock { $0.append((message, metadata)) }
        continuation.yield(metadata)
    }

    /// The first line not read before that `matches`, or nil after `timeout`.
    func firstLine(within timeout: Duration, where matches: @escaping @Sendable ([String: String]) -> Bool) async throws -> [String: String]? {
        try await withThrowingTaskGroup(of: [String: String]?.self) { group in
            group.addTask { [written] in await written.first(where: matches) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }

    /// A logger writing here.
    var logger: Logger {
        Logger(label: "captured") { _ in CapturingLogHandler(log: self) }
    }
}

struct CapturingLogHandler: LogHandler {
    let log: CapturedLog
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .info

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var all: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) { all[key] = "\(value)" }
        log.add("\(event.message)", all)
    }
}

/// Standings for one subscriber, alice (user 7), on `plan` for a period ending on
/// `periodEnd` (far away unless given); nothing flushed.
struct FixedStanding: StandingSource {
    let plan: Plan
    var periodEnd = CalendarDay(year: 9999, month: 1, day: 1)

    /// Every user is alice, on `plan`.
    func standing(userID: Int64) async throws -> Standing? {
        Standing(
            userID: userID, username: "alice", plan: plan,
            subscription: Subscription(userID: userID, planID: plan.id, anchorDay: periodEnd.day, periodStart: CalendarDay(year: 2000, month: 1, day: periodEnd.day), periodEnd: periodEnd)
        )
    }

    func bytesServed(userID: Int64, from: CalendarDay, to: CalendarDay) async throws -> Int64 { 0 }
}

/// Usage batches kept for a test.
final class KeptBatches: UsageSink {
    private let batches = Mutex<[UsageBatch]>([])
    var all: [UsageBatch] { batches.withLock { $0 } }

    func apply(_ batch: UsageBatch) async throws { batches.withLock { $0.append(batch) } }
    func forgetBatches(olderThan age: TimeInterval) async throws {}
}

/// Review H1: a client that resets its connection while the handler still waits on a
/// slow upstream gets no response head, and its response is dropped with the body never
/// run. Its download slot must come back and its access-log line must still be written.
@Suite struct AbortedRequestTests {
    @Test func aResetBeforeTheHeadFreesTheSlotAndIsLogged() async throws {
        let log = CapturedLog()
        let batches = KeptBatches()
        let plan = Plan(
            id: 1, name: "one", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 600,
            manifestPullsPerWindow: 100, manifestWindowSeconds: 3600, maxConcurrentDownloads: 1, maxClientAddressesPerDay: 3
        )
        let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", usesLibraryNamespace: true)
        let blobA = upstream.addBlob(seededBytes(count: 1000, seed: 1))
        let blobB = upstream.addBlob(seededBytes(count: 1000, seed: 2))
        let slowUpstream = BlobGate()
        let harness = SubscriberHarness(upstreams: [upstream], billing: BillingBackend(standings: FixedStanding(plan: plan), usage: batches))
        try await harness.run(.live, logger: log.logger) { client, dependencies in
            let bearer = try await client.execute(uri: "/token?scope=repository:library/x:pull", method: .get, headers: BillingHTTPTests.basic) { response in
                let json = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                return try #require(json?["token"] as? String)
            }
            upstream.holdResponses(with: slowUpstream)
            let connection = try RawHTTPConnection(port: try #require(client.port))
            try connection.send("GET /v2/library/x/blobs/\(blobA) HTTP/1.1\r\nHost: mirror.test\r\nAuthorization: Bearer \(bearer)\r\n\r\n")
            while slowUpstream.waiting == 0 { try await Task.sleep(for: .milliseconds(5)) }
            connection.reset()
            try await Task.sleep(for: .milliseconds(100))  // the event loop sees the reset before the upstream answers
            slowUpstream.open()

            let line = try await log.firstLine(within: .seconds(10)) { $0["path"]?.hasSuffix(blobA.description) == true }
            #expect(line?["outcome"] == "aborted-before-head")
            #expect(line?["status"] == "200" && line?["bytes"] == "0" && line?["user"] == "alice")

            // The slot is free again (it is given back as the dropped response goes away,
            // so allow that a moment), and never stays taken.
            var status = HTTPResponse.Status.tooManyRequests
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                status = try await client.execute(uri: "/v2/library/x/blobs/\(blobB)", method: .get, headers: [.authorization: "Bearer \(bearer)"]) { $0.status }
                if status != .tooManyRequests { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == .ok)
            // Metered: the aborted request and blob B, exactly; refusals are not (review W1).
            try await dependencies.billing!.meter.flushEverything()
            let requests = batches.all.flatMap(\.rows.values).reduce(0) { $0 + $1.requests }
            #expect(requests == 2)
        }
    }
}
