import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A test instrument between Ferry and the real CNCF registry: forwards every request,
/// records it, and on demand corrupts a blob's last byte, slows blob bodies down, or
/// delays blob answers (a slow upstream, token exchange or CDN redirect).
final class UpstreamProxy: Sendable {
    let target: String
    private struct State {
        var requests: [String] = []
        var corrupted: Set<String> = []
        var bytesPerSecond: Int?
        var hidesBlobSizes = false
        var blobDelay: Duration?
        var delayedAnswers = 0
        var blobBytes = 0
    }

    private let state = Mutex(State())
    /// Its own client: the shared one queues beyond 8 connections to the registry.
    private let client: HTTPClient

    init(target: URL) {
        var text = target.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        self.target = text
        client = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(connectionPool: .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64))
        )
    }

    /// "METHOD /path" of every request received.
    var requests: [String] { state.withLock { $0.requests } }

    func resetRequests() { state.withLock { $0.requests = [] } }

    /// Number of GET requests for blob `digest`.
    func blobGets(_ digest: String) -> Int { requests.filter { $0.hasPrefix("GET ") && $0.hasSuffix("/blobs/\(digest)") }.count }

    /// All blob GETs.
    var allBlobGets: Int { requests.filter { $0.hasPrefix("GET ") && $0.contains("/blobs/sha256:") }.count }

    func corrupt(_ digest: String?) {
        state.withLock { state in
            if let digest { state.corrupted.insert(digest) } else { state.corrupted.removeAll() }
        }
    }

    /// Blob body bytes sent to Ferry so far.
    var blobBytesSent: Int { state.withLock { $0.blobBytes } }

    func throttle(bytesPerSecond: Int?) { state.withLock { $0.bytesPerSecond = bytesPerSecond } }

    /// Waits `delay` before answering each blob GET (nil: answer at once again).
    func delayBlobAnswers(by delay: Duration?) { state.withLock { $0.blobDelay = delay } }

    /// Blob GETs answered after a delay so far.
    var delayedAnswers: Int { state.withLock { $0.delayedAnswers } }

    /// Answers blob HEADs without `Content-Length` (as some proxies in front of registries do).
    func hideBlobSizes(_ hide: Bool) { state.withLock { $0.hidesBlobSizes = hide } }

    /// Runs the proxy on `port` (0 for any) for the duration of `body` (once per proxy).
    func run<T: Sendable>(port: Int = 0, _ body: (Int) async throws -> T) async throws -> T {
        do {
            let result = try await withServer({ onRunning in
                let router = Router()
                router.get("/**") { request, _ in try await self.forward(request) }
                router.head("/**") { request, _ in try await self.forward(request) }
                return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)), onServerRunning: onRunning, logger: quietLogger)
            }, body)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }

    private func forward(_ request: Request) async throws -> Response {
        let path = request.uri.description
        let isBlobGet = request.method == .get && request.uri.path.contains("/blobs/")
        let delay = state.withLock { state in
            state.requests.append("\(request.method.rawValue) \(request.uri.path)")
            return isBlobGet ? state.blobDelay : nil
        }
        if let delay {
            try await Task.sleep(for: delay)
            state.withLock { $0.delayedAnswers += 1 }
        }
        var outbound = HTTPClientRequest(url: target + path)
        outbound.method = request.method == .head ? .HEAD : .GET
        for field in request.headers where ["accept", "authorization", "range"].contains(field.name.canonicalName) {
            outbound.headers.add(name: field.name.rawName, value: field.value)
        }
        let response = try await client.execute(outbound, timeout: .seconds(30))
        var headers = HTTPFields()
        for (name, value) in response.headers where !["transfer-encoding", "connection"].contains(name.lowercased()) {
            if let fieldName = HTTPField.Name(name) { headers.append(HTTPField(name: fieldName, value: value)) }
        }
        let length = response.headers.first(name: "Content-Length").flatMap(Int.init)
        let digest = request.uri.path.split(separator: "/").last.map(String.init) ?? ""
        let (corrupt, rate) = state.withLock { ($0.corrupted.contains(digest) && request.uri.path.contains("/blobs/"), $0.bytesPerSecond) }
        let status = HTTPResponse.Status(code: Int(response.status.code))
        if request.method == .head {
            if state.withLock({ $0.hidesBlobSizes }), request.uri.path.contains("/blobs/") {
                headers[.contentLength] = nil
                return Response(status: status, headers: headers, body: ResponseBody(contentLength: nil) { writer in try await writer.finish(nil) })
            }
            return Response(status: status, headers: headers)
        }
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: length) { writer in
            var sent = 0
            for try await chunk in response.body {
                var chunk = chunk
                if corrupt, let length, sent + chunk.readableBytes == length, chunk.readableBytes > 0 {
                    let index = chunk.readerIndex + chunk.readableBytes - 1
                    chunk.setInteger(chunk.getInteger(at: index, as: UInt8.self)! ^ 0xff, at: index)
                }
                sent += chunk.readableBytes
                if isBlobGet { self.state.withLock { $0.blobBytes += chunk.readableBytes } }
                try await writer.write(chunk)
                if let rate, rate > 0 {
                    try await Task.sleep(for: .milliseconds(max(1, chunk.readableBytes * 1000 / rate)))
                }
            }
            try await writer.finish(nil)
        })
    }
}
