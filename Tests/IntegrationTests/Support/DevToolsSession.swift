import Foundation
import Logging
import NIOCore
import Synchronization
import WSClient

/// A Chrome DevTools Protocol session with one page, over a WebSocket: commands are
/// matched to their answers by id; events are kept for `waitForEvent` (pages are waited
/// for by polling the DOM, which also covers navigations started by form submits).
final class DevToolsSession: Sendable {
    struct ProtocolError: Error, CustomStringConvertible {
        let description: String
    }

    private let outbound: WebSocketOutboundWriter
    private let nextID = Atomic<Int>(1)
    private let pending = Mutex<[Int: CheckedContinuation<Data, any Error>]>([:])
    /// Events received (raw JSON), oldest first.
    private let events = Mutex<[Data]>([])

    private init(outbound: WebSocketOutboundWriter) {
        self.outbound = outbound
    }

    /// Connects to a page's `webSocketDebuggerUrl` and runs `body` with the session.
    static func withPage<T: Sendable>(_ url: String, _ body: @escaping @Sendable (DevToolsSession) async throws -> T) async throws -> T {
        let result = Mutex<Result<T, any Error>?>(nil)
        try await WebSocketClient.connect(url: url, configuration: .init(maxFrameSize: 1 << 26), logger: quietLogger) { inbound, outbound, _ in
            let session = DevToolsSession(outbound: outbound)
            await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    var messages = inbound.makeAsyncIterator()
                    while let message = try await messages.nextMessage(maxSize: 1 << 26) {
                        if case .text(let text) = message { session.receive(Data(text.utf8)) }
                    }
                    session.failAll(ProtocolError(description: "DevTools connection closed"))
                }
                do {
                    let value = try await body(session)
                    result.withLock { $0 = .success(value) }
                } catch {
                    result.withLock { $0 = .failure(error) }
                }
                try? await outbound.close(.normalClosure, reason: nil)
                group.cancelAll()
            }
        }
        guard let outcome = result.withLock({ $0 }) else { throw ProtocolError(description: "DevTools session ended early") }
        return try outcome.get()
    }

    /// Sends a command and returns its `result` object (JSON); a command the browser
    /// does not answer within `timeout` fails (a browser that hangs fails the test
    /// instead of hanging the suite).
    @discardableResult
    func call(_ method: String, _ parameters: [String: any Sendable] = [:], timeout: Duration = .seconds(60)) async throws -> [String: Any] {
        let id = nextID.add(1, ordering: .relaxed).oldValue
        let message = try JSONSerialization.data(withJSONObject: ["id": id, "method": method, "params": parameters] as [String: Any])
        let answer = try await withCheckedThrowingContinuation { continuation in
            pending.withLock { $0[id] = continuation }
            Task {
                do {
                    try await outbound.write(.text(String(decoding: message, as: UTF8.self)))
                } catch {
                    pending.withLock { $0.removeValue(forKey: id) }?.resume(throwing: error)
                }
            }
            Task {
                try? await Task.sleep(for: timeout)
                pending.withLock { $0.removeValue(forKey: id) }?.resume(throwing: ProtocolError(description: "\(method): no answer within \(timeout)"))
            }
        }
        let document = try JSONSerialization.jsonObject(with: answer) as? [String: Any] ?? [:]
        if let error = document["error"] as? [String: Any] {
            throw ProtocolError(description: "\(method): \(error["message"] ?? error)")
        }
        return document["result"] as? [String: Any] ?? [:]
    }

    /// Evaluates JavaScript in the page and returns its (JSON-serialisable) value.
    @discardableResult
    func evaluate(_ expression: String) async throws -> Any? {
        let result = try await call("Runtime.evaluate", ["expression": expression, "returnByValue": true, "awaitPromise": true])
        if let exception = result["exceptionDetails"] as? [String: Any] {
            throw ProtocolError(description: "JavaScript failed: \(exception["text"] ?? "") in \(expression.prefix(120))")
        }
        return (result["result"] as? [String: Any])?["value"]
    }

    /// Polls `condition` (a JavaScript boolean expression) until it holds, for at most
    /// `timeout`. A page loaded by a form submit or a navigation is waited for this way.
    func waitUntil(_ condition: String, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if (try? await evaluate("document.readyState === 'complete' && (\(condition))")) as? Bool == true { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        let location = (try? await evaluate("location.href")) as? String ?? "?"
        throw ProtocolError(description: "timed out waiting for \(condition) on \(location)")
    }

    /// Opens `url` and waits until the new document (after any redirect) has loaded.
    func navigate(_ url: String) async throws {
        try await markDocument()
        try await call("Page.navigate", ["url": url])
        try await waitForNewDocument()
    }

    /// Marks the current document, so that `waitForNewDocument` can tell when a
    /// navigation (a link, a form submit, a redirect) has replaced it.
    func markDocument() async throws {
        try await evaluate("window.__ferryOldDocument = true")
    }

    /// Waits until the marked document was replaced and the new one has loaded.
    func waitForNewDocument() async throws {
        try await waitUntil("window.__ferryOldDocument === undefined")
    }

    /// A PNG of the whole page at its current width.
    func screenshot(to path: String) async throws {
        let metrics = try await call("Page.getLayoutMetrics")
        let size = metrics["cssContentSize"] as? [String: Any]
        let width = (size?["width"] as? Double) ?? 1280
        let height = (size?["height"] as? Double) ?? 900
        let result = try await call("Page.captureScreenshot", [
            "format": "png", "captureBeyondViewport": true,
            "clip": ["x": 0, "y": 0, "width": width, "height": height, "scale": 1] as [String: any Sendable],
        ])
        guard let base64 = result["data"] as? String, let data = Data(base64Encoded: base64) else {
            throw ProtocolError(description: "no screenshot data")
        }
        try data.write(to: URL(fileURLWithPath: path))
    }

    /// A JavaScript string literal for `text`.
    static func quoted(_ text: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [text])
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }

    /// Waits for the next event named `method` (e.g. `Fetch.requestPaused`), removes it
    /// and returns its `params`.
    func waitForEvent(_ method: String, timeout: Duration = .seconds(15)) async throws -> [String: Any] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let found: Data? = events.withLock { events in
                guard let index = events.firstIndex(where: { Self.method(of: $0) == method }) else { return nil }
                return events.remove(at: index)
            }
            if let found { return (try JSONSerialization.jsonObject(with: found) as? [String: Any])?["params"] as? [String: Any] ?? [:] }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProtocolError(description: "timed out waiting for the event \(method)")
    }

    private static func method(of data: Data) -> String? {
        (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["method"] as? String
    }

    private func receive(_ data: Data) {
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return }
        guard let id = document["id"] as? Int else {
            if document["method"] != nil { events.withLock { $0.append(data) } }
            return
        }
        pending.withLock { $0.removeValue(forKey: id) }?.resume(returning: data)
    }

    private func failAll(_ error: any Error) {
        let waiting = pending.withLock { pending in
            defer { pending.removeAll() }
            return Array(pending.values)
        }
        for continuation in waiting { continuation.resume(throwing: error) }
    }
}
