import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Cache hits on plain HTTP/1.1 go out with sendfile(2) (issue 10): the bytes are the
/// blob's, ranges are honoured, and the bytes are counted exactly.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct ZeroCopyServingTests {
    func metric(_ name: String, port: Int) async throws -> Int64? {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 1 << 20))
        return text.split(separator: "\n").first { $0.hasPrefix(name + " ") || $0.hasPrefix(name + "{") }
            .flatMap { Double($0.split(separator: " ").last!) }.map { Int64($0) }
    }

    func get(_ url: String, range: String? = nil) async throws -> (Int, [UInt8]) {
        var request = HTTPClientRequest(url: url)
        if let range { request.headers.add(name: "Range", value: range) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
        let body = try await response.body.collect(upTo: 256 << 20)
        return (Int(response.status.code), Array(body.readableBytesView))
    }

    @Test func warmBlobsAreSentWithSendfileByteForByte() async throws {
        let environment = try TestEnvironment.require()
        let layer = try #require(try environment.layoutLayers("big").first)
        let hex = String(layer.digest.dropFirst("sha256:".count))
        let expected = try Array(Data(contentsOf: URL(fileURLWithPath: "\(environment.images)/big/blobs/sha256/\(hex)")))
        let port = reserveFreePort()
        let server = try await FerryProcess.serve(
            port: port, dataDirectory: temporaryDirectory("zero-copy"), upstream: environment.upstream.absoluteString, environment: ["FERRY_ACCESS_MODE": "open"]
        )
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let url = "http://127.0.0.1:\(port)/v2/ferry/big/blobs/\(layer.digest)"
        let cold = try await get(url)
        #expect(cold.0 == 200 && cold.1 == expected)
        #expect(try await metric("ferry_sendfile_bytes_total", port: port) == nil, "a miss is streamed from the download, not sent with sendfile")
        let warm = try await get(url)
        #expect(warm.0 == 200 && warm.1 == expected)
        let middle = try await get(url, range: "bytes=1000000-5999999")
        #expect(middle.0 == 206 && middle.1 == Array(expected[1_000_000...5_999_999]))
        let tail = try await get(url, range: "bytes=-10")
        #expect(tail.0 == 206 && tail.1 == Array(expected.suffix(10)))
        #expect(try await metric("ferry_sendfile_bytes_total", port: port) == Int64(expected.count + 5_000_000 + 10))
        kill(server.processIdentifier, SIGTERM)
        await server.exit()
    }
}
