import AsyncHTTPClient
import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import S3
import Synchronization
import Testing

/// The client against a scripted local HTTP server: retries and backoff, error mapping,
/// wire encoding, streaming, pagination and logging.
@Suite("S3 client behaviour")
struct S3ClientBehaviourTests {
    static let secret = "MOCK-SECRET-never-logged"
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    final class Sleeps: Sendable {
        let recorded = Mutex<[Duration]>([])
        var all: [Duration] { recorded.withLock { $0 } }
    }

    static func errorXML(_ code: String, _ message: String = "message") -> String {
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>\(code)</Code><Message>\(message)</Message><RequestId>req-1</RequestId></Error>"
    }

    static func ok(_ headers: [(String, String)] = [], body: String = "") -> MockS3Server.Reply {
        .respond(status: 200, headers: headers, body: body)
    }

    func withServer(
        _ script: @escaping @Sendable (MockS3Server.Request, Int) -> MockS3Server.Reply,
        maxAttempts: Int = 4,
        logs: CapturedLogs = CapturedLogs(),
        _ body: (S3Client, MockS3Server, Sleeps) async throws -> Void
    ) async throws {
        let server = try await MockS3Server(script: script)
        let sleeps = Sleeps()
        let policy = S3RetryPolicy(
            maxAttempts: maxAttempts,
            baseDelay: .milliseconds(100),
            maxDelay: .milliseconds(300),
            jitter: { $0 },
            sleep: { [sleeps] delay in sleeps.recorded.withLock { $0.append(delay) } }
        )
        let configuration = S3Configuration(
            endpoint: URL(string: "http://127.0.0.1:\(server.port)")!,
            region: "us-east-1",
            bucket: "ferry",
            credentials: S3Credentials(accessKeyID: "MOCKAKID", secretAccessKey: Self.secret)
        )
        let client = try S3Client(httpClient: HTTPClient.shared, configuration: configuration, logger: logs.logger(), retryPolicy: policy, now: { Self.date })
        do {
            try await body(client, server, sleeps)
        } catch {
            try await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    @Test("503 SlowDown is retried after a backoff, with the same body")
    func slowDownRetried() async throws {
        try await withServer({ _, index in
            index == 0 ? .respond(status: 503, body: Self.errorXML("SlowDown", "Please reduce your request rate.")) : Self.ok([("ETag", "\"e1\"")])
        }) { client, server, sleeps in
            let body = ByteBuffer(string: "hello")
            let sha = SHA256.hash(data: Array("hello".utf8)).map { String(format: "%02x", $0) }.joined()
            let eTag = try await client.putObject(key: "k", body: .bytes(body), length: 5, sha256: sha)
            #expect(eTag == "\"e1\"")
            #expect(server.requests.count == 2)
            #expect(server.requests.allSatisfy { $0.body == Array("hello".utf8) })
            #expect(server.requests.allSatisfy { $0.headers.first(name: "x-amz-content-sha256") == sha })
            #expect(sleeps.all == [.milliseconds(100)])
        }
    }

    @Test("500 is retried with exponential backoff until the attempts run out")
    func internalErrorExhausted() async throws {
        try await withServer({ _, _ in .respond(status: 500, body: Self.errorXML("InternalError", "We encountered an internal error.")) }) {
            client, server, sleeps in
            let error = try await #require(throws: S3Error.self) {
                try await client.putObject(key: "blobs/k", body: .bytes(ByteBuffer(string: "x")), length: 1, sha256: nil)
            }
            #expect(server.requests.count == 4)
            #expect(sleeps.all == [.milliseconds(100), .milliseconds(200), .milliseconds(300)])
            #expect(error.code == "InternalError" && error.httpStatus == 500 && error.attempts == 4)
            #expect(error.requestID == "req-1")
            #expect(
                error.description
                    == "S3 PutObject ferry/blobs/k: 500 InternalError: We encountered an internal error. (request id req-1, after 4 attempts)"
            )
        }
    }

    @Test("403 SignatureDoesNotMatch is not retried and reads clearly")
    func signatureMismatchNotRetried() async throws {
        try await withServer({ _, _ in .respond(status: 403, body: Self.errorXML("SignatureDoesNotMatch", "The request signature we calculated does not match.")) }) {
            client, server, sleeps in
            let error = try await #require(throws: S3Error.self) { try await client.deleteObject(key: "blobs/sha256/ab") }
            #expect(server.requests.count == 1)
            #expect(sleeps.all.isEmpty)
            #expect(
                error.description
                    == "S3 DeleteObject ferry/blobs/sha256/ab: 403 SignatureDoesNotMatch: The request signature we calculated does not match. (request id req-1)"
            )
            #expect(!error.description.contains(Self.secret))
        }
    }

    @Test("a 200 CompleteMultipartUpload carrying <Error> is a failure, retried when retryable")
    func completeWithErrorBody() async throws {
        let done = "<CompleteMultipartUploadResult><ETag>\"abc-2\"</ETag></CompleteMultipartUploadResult>"
        try await withServer({ _, index in
            index == 0 ? Self.ok(body: Self.errorXML("InternalError")) : Self.ok(body: done)
        }) { client, server, _ in
            let eTag = try await client.completeMultipartUpload(
                key: "k",
                uploadID: "u",
                parts: [S3CompletedPart(partNumber: 2, eTag: "\"b\""), S3CompletedPart(partNumber: 1, eTag: "\"a\"")]
            )
            #expect(eTag == "\"abc-2\"")
            #expect(server.requests.count == 2)
            let xml = String(decoding: server.requests[0].body, as: UTF8.self)
            #expect(xml.contains("<Part><PartNumber>1</PartNumber><ETag>\"a\"</ETag></Part><Part><PartNumber>2</PartNumber>"))
            let expectedHash = SHA256.hash(data: server.requests[0].body).map { String(format: "%02x", $0) }.joined()
            #expect(server.requests[0].headers.first(name: "x-amz-content-sha256") == expectedHash)
        }
        try await withServer({ _, _ in Self.ok(body: Self.errorXML("AccessDenied", "Access Denied")) }) { client, server, _ in
            let error = try await #require(throws: S3Error.self) {
                try await client.completeMultipartUpload(key: "k", uploadID: "u", parts: [S3CompletedPart(partNumber: 1, eTag: "\"a\"")])
            }
            #expect(error.code == "AccessDenied" && error.httpStatus == 200)
            #expect(server.requests.count == 1)
        }
    }

    @Test("HEAD 404 is nil; GET of a missing key is NoSuchKey")
    func notFound() async throws {
        try await withServer({ request, _ in
            request.method == .HEAD ? .respond(status: 404) : .respond(status: 404, body: Self.errorXML("NoSuchKey", "The specified key does not exist."))
        }) { client, _, _ in
            #expect(try await client.headObject(key: "missing") == nil)
            let error = try await #require(throws: S3Error.self) { _ = try await client.getObject(key: "missing") }
            #expect(error.code == "NoSuchKey" && error.httpStatus == 404 && error.operation == .getObject && error.key == "missing")
        }
    }

    @Test("a dropped connection is retried; a file body is sent again from its offset")
    func droppedConnectionRetried() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s3-mock-\(UUID().uuidString)").path
        let content = Array((0..<200_000).map { UInt8($0 % 251) })
        #expect(FileManager.default.createFile(atPath: path, contents: Data(content)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        try await withServer({ _, index in index == 0 ? .disconnect : Self.ok([("ETag", "\"p\"")]) }) { client, server, sleeps in
            let eTag = try await client.uploadPart(
                key: "k",
                uploadID: "u 1",
                partNumber: 7,
                body: .file(path: path, offset: 1000),
                length: 150_000,
                sha256: nil
            )
            #expect(eTag == "\"p\"")
            #expect(server.requests.count == 2)
            #expect(server.requests.last?.body == Array(content[1000..<151_000]))
            #expect(server.requests.last?.uri == "/ferry/k?partNumber=7&uploadId=u%201")
            #expect(sleeps.all.count == 1)
        }
    }

    @Test("nothing listening: ConnectionFailed after every attempt")
    func connectionRefused() async throws {
        let server = try await MockS3Server { _, _ in Self.ok() }
        let port = server.port
        try await server.shutdown()
        let sleeps = Sleeps()
        let configuration = S3Configuration(
            endpoint: URL(string: "http://127.0.0.1:\(port)")!,
            region: "us-east-1",
            bucket: "ferry",
            credentials: S3Credentials(accessKeyID: "A", secretAccessKey: Self.secret)
        )
        let policy = S3RetryPolicy(maxAttempts: 3, jitter: { $0 }, sleep: { [sleeps] d in sleeps.recorded.withLock { $0.append(d) } })
        // AsyncHTTPClient keeps retrying a refused connection until its connect timeout
        // (HTTPClient.shared: 90 s), so this client gets a short one.
        var httpConfiguration = HTTPClient.Configuration()
        httpConfiguration.timeout.connect = .milliseconds(300)
        let httpClient = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: httpConfiguration)
        let client = try S3Client(httpClient: httpClient, configuration: configuration, retryPolicy: policy)
        let result = await #expect(throws: S3Error.self) { _ = try await client.headObject(key: "k") }
        try await httpClient.shutdown()
        let error = try #require(result)
        #expect(error.code == S3Error.connectionFailed && error.httpStatus == nil && error.attempts == 3)
        #expect(sleeps.all.count == 2)
    }

    @Test("keys and parameters are encoded on the wire exactly as signed")
    func wireEncoding() async throws {
        try await withServer({ _, _ in Self.ok([("ETag", "\"e\"")]) }) { client, server, _ in
            try await client.putObject(key: "dir name/été+x=y", body: .bytes(ByteBuffer()), length: 0, sha256: nil)
            let request = try #require(server.requests.first)
            #expect(request.uri == "/ferry/dir%20name/%C3%A9t%C3%A9%2Bx%3Dy")
            #expect(request.headers.first(name: "host") == "127.0.0.1:\(server.port)")
            #expect(request.headers.first(name: "x-amz-content-sha256") == "UNSIGNED-PAYLOAD")
            #expect(request.headers.first(name: "x-amz-date") == "20150830T123600Z")
            let authorization = try #require(request.headers.first(name: "authorization"))
            #expect(authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=MOCKAKID/20150830/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature="))
        }
    }

    @Test("GET streams the body in chunks")
    func getStreams() async throws {
        let payload = String(repeating: "0123456789abcdef", count: 65_536)  // 1 MiB
        try await withServer({ _, _ in .respond(status: 206, headers: [("Content-Range", "bytes 0-1048575/2000000")], body: payload) }) { client, server, _ in
            let response = try await client.getObject(key: "big", range: 0...1_048_575)
            #expect(response.status == 206)
            #expect(response.contentLength == 1_048_576)
            var bytes = 0
            var chunks = 0
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                chunks += 1
            }
            #expect(bytes == 1_048_576)
            #expect(chunks > 1)
            #expect(server.requests.first?.headers.first(name: "range") == "bytes=0-1048575")
        }
    }

    @Test("ListMultipartUploads follows the markers across pages")
    func pagination() async throws {
        let page1 = """
            <ListMultipartUploadsResult><IsTruncated>true</IsTruncated><NextKeyMarker>b</NextKeyMarker><NextUploadIdMarker>u2</NextUploadIdMarker>\
            <Upload><Key>a</Key><UploadId>u1</UploadId><Initiated>2026-12-01T00:00:00.000Z</Initiated></Upload>\
            <Upload><Key>b</Key><UploadId>u2</UploadId><Initiated>2026-12-02T00:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>
            """
        let page2 = """
            <ListMultipartUploadsResult><IsTruncated>false</IsTruncated>\
            <Upload><Key>c d</Key><UploadId>u3</UploadId><Initiated>2026-12-03T00:00:00.000Z</Initiated></Upload></ListMultipartUploadsResult>
            """
        try await withServer({ _, index in Self.ok(body: index == 0 ? page1 : page2) }) { client, server, _ in
            let uploads = try await client.listMultipartUploads(prefix: "blobs/")
            #expect(uploads.map(\.key) == ["a", "b", "c d"])
            #expect(uploads.map(\.uploadID) == ["u1", "u2", "u3"])
            #expect(uploads[0].initiated == Date(timeIntervalSince1970: 1_796_083_200))
            #expect(server.requests.map(\.uri) == ["/ferry?prefix=blobs%2F&uploads=", "/ferry?key-marker=b&prefix=blobs%2F&upload-id-marker=u2&uploads="])
        }
    }

    @Test("logs name operation, key, status and attempt, and never the secret")
    func logging() async throws {
        let logs = CapturedLogs()
        try await withServer({ _, index in index == 0 ? .respond(status: 503, body: Self.errorXML("SlowDown")) : Self.ok([("ETag", "\"e\"")]) }, logs: logs) {
            client, _, _ in
            try await client.putObject(key: "blobs/k", body: .bytes(ByteBuffer(string: "x")), length: 1, sha256: nil)
            _ = try client.presignedGetURL(key: "blobs/k", expires: .seconds(60))
        }
        let entries = logs.all
        #expect(entries.contains { $0.level == .warning && $0.metadata["s3.error"] == "SlowDown" && $0.metadata["s3.attempt"] == "1" })
        #expect(entries.contains { $0.level == .debug && $0.metadata["s3.status"] == "200" && $0.metadata["s3.operation"] == "PutObject" && $0.metadata["s3.key"] == "blobs/k" })
        #expect(!logs.text.contains(Self.secret))
        #expect(!logs.text.contains("Signature="))
    }

    @Test("arguments are checked before anything is sent")
    func validation() async throws {
        try await withServer({ _, _ in Self.ok() }) { client, server, _ in
            let wrongLength = try await #require(throws: S3Error.self) {
                try await client.putObject(key: "k", body: .bytes(ByteBuffer(string: "abc")), length: 4, sha256: nil)
            }
            #expect(wrongLength.code == S3Error.invalidArgument)
            await #expect(throws: S3Error.self) { try await client.putObject(key: "k", body: .bytes(ByteBuffer()), length: 0, sha256: "xyz") }
            await #expect(throws: S3Error.self) { try await client.putObject(key: "", body: .bytes(ByteBuffer()), length: 0, sha256: nil) }
            await #expect(throws: S3Error.self) {
                try await client.putObject(key: "k", body: .file(path: "/nonexistent/file"), length: 1, sha256: nil)
            }
            await #expect(throws: S3Error.self) {
                _ = try await client.uploadPart(key: "k", uploadID: "u", partNumber: 0, body: .bytes(ByteBuffer()), length: 0, sha256: nil)
            }
            #expect(throws: S3Error.self) { _ = try client.presignedGetURL(key: "k", expires: .seconds(604_801)) }
            #expect(server.requests.isEmpty)
        }
    }

    @Test("configuration errors")
    func configuration() {
        let credentials = S3Credentials(accessKeyID: "A", secretAccessKey: Self.secret)
        func make(_ endpoint: String, bucket: String = "b", pathStyle: Bool = true, partSize: Int = S3Configuration.defaultPartSize) throws {
            let configuration = S3Configuration(
                endpoint: URL(string: endpoint)!,
                region: "r",
                bucket: bucket,
                credentials: credentials,
                usesPathStyle: pathStyle,
                partSize: partSize
            )
            _ = try S3Client(httpClient: HTTPClient.shared, configuration: configuration)
        }
        #expect(throws: S3ConfigurationError.self) { try make("ftp://host") }
        #expect(throws: S3ConfigurationError.self) { try make("http://host/prefix") }
        #expect(throws: S3ConfigurationError.self) { try make("http://host", partSize: 1024) }
        #expect(throws: S3ConfigurationError.self) { try make("http://host", bucket: "a_b", pathStyle: false) }
        #expect(throws: Never.self) { try make("https://[::1]:9000") }
        let description = S3Configuration(endpoint: URL(string: "http://h")!, region: "r", bucket: "b", credentials: credentials).description
        #expect(!description.contains(Self.secret))
    }
}
