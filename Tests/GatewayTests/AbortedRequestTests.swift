import Billing
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

    func standing(username: String) async throws -> Standing? {
        guard username == "alice" else { return nil }
        return Standing(
            userID: 7, username: "alice", plan: plan,
            subscription: Subscription(userID: 7, planID: plan.id, anchorDay: periodEnd.day, periodStart: CalendarDay(year: 2000, month: 1, day: periodEnd.day), periodEnd: periodEnd)
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

/// Names every request's user alice, as `RegistryAuthMiddleware` does after a valid token.
struct AliceMiddleware: RouterMiddleware {
    typealias Context = FerryRequestContext
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        context.record.user = "alice"
        return try await next(request, context)
    }
}

/// Review H1: a client that resets its connection while the handler still waits (on
/// the upstream, in production) gets no response head, and its response is dropped
/// with the body never run. Its download slot must come back and its access-log line
/// must still be written.
@Suite struct AbortedRequestTests {
    static let blobA = "sha256:" + String(repeating: "a", count: 64)
    static let blobB = "sha256:" + String(repeating: "b", count: 64)

    @Test func aResetBeforeTheHeadFreesTheSlotAndIsLogged() async throws {
        let log = CapturedLog()
        let calendar = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)
        let batches = KeptBatches()
        let meter = UsageMeter(sink: batches, calendar: calendar, logger: log.logger)
        let plan = Plan(
            id: 1, name: "one", priceMinor: 100, currency: "CNY", monthlyQuotaBytes: 1 << 30, requestsPerMinute: 600,
            manifestPullsPerWindow: 100, manifestWindowSeconds: 3600, maxConcurrentDownloads: 1, maxClientAddressesPerDay: 3
        )
        let billing = GatewayBilling(limits: SubscriberLimits(source: FixedStanding(plan: plan), meter: meter, calendar: calendar, graceDays: 3), meter: meter)
        let (entered, handlerEntered) = AsyncStream.makeStream(of: Void.self)
        let router = Router(context: FerryRequestContext.self)
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: OCIErrorMiddleware())
        router.add(middleware: AliceMiddleware())
        router.add(middleware: BillingMiddleware(billing: billing))
        router.get("/v2/library/x/blobs/:digest") { request, _ in
            if request.uri.path.hasSuffix(Self.blobA) {
                handlerEntered.yield()
                // Waits until the connection is gone (the request promised a body it never
                // sends), then, as a slow upstream would, answers a little later: by then
                // the event loop has closed the channel, so the head cannot be written.
                do { for try await _ in request.body {} } catch {}
                try await Task.sleep(for: .seconds(1))
            }
            return Response(status: .ok, body: ResponseBody { writer in
                try await writer.write(ByteBuffer(string: "blob"))
                try await writer.finish(nil)
            })
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: log.logger)
        try await app.test(.live) { client in
            let connection = try RawHTTPConnection(port: try #require(client.port))
            try connection.send("GET /v2/library/x/blobs/\(Self.blobA) HTTP/1.1\r\nHost: mirror.test\r\nContent-Length: 10\r\n\r\n")
            _ = await entered.first { _ in true }
            connection.reset()

            let line = try await log.firstLine(within: .seconds(10)) { $0["path"]?.hasSuffix(Self.blobA) == true }
            #expect(line?["outcome"] == "aborted-before-head")
            #expect(line?["status"] == "200" && line?["bytes"] == "0" && line?["user"] == "alice")

            // The slot is free again (it is given back as the dropped response goes away,
            // so allow that a moment), and never stays taken.
            var status = HTTPResponse.Status.tooManyRequests
            let deadline = ContinuousClock.now + .seconds(10)
            while ContinuousClock.now < deadline {
                status = try await client.execute(uri: "/v2/library/x/blobs/\(Self.blobB)", method: .get) { $0.status }
                if status != .tooManyRequests { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == .ok)
        }
        // The aborted request was metered as a request.
        try await meter.flushEverything()
        let requests = batches.all.flatMap(\.rows.values).reduce(0) { $0 + $1.requests }
        #expect(requests >= 2)
    }
}
