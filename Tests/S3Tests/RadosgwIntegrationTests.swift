import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import S3
import Testing

/// The client against a real radosgw (`scripts/ceph-rgw.sh start ROOT`, then the variables
/// of `ROOT/s3.env` in the environment). Enabled when `FERRY_S3_ENDPOINT` is set; fails
/// instead of being skipped when it is not and `FERRY_INTEGRATION=required`.
@Suite("radosgw integration", .enabled(if: TestEnvironment.s3Endpoint != nil || TestEnvironment.integrationRequired), .serialized)
struct RadosgwIntegrationTests {
    /// Keys of this run live under a fresh prefix.
    static let prefix = "s3kit-tests/\(UUID().uuidString.lowercased())/"

    struct Settings {
        var configuration: S3Configuration
    }

    static func settings() throws -> Settings {
        guard let endpoint = TestEnvironment.s3Endpoint else {
            Issue.record("FERRY_INTEGRATION=required, but FERRY_S3_ENDPOINT is not set: run scripts/ceph-rgw.sh start ROOT and load ROOT/s3.env")
            throw MissingSettings()
        }
        func required(_ name: String) throws -> String {
            guard let value = TestEnvironment.value(name) else {
                Issue.record("\(name) is not set (see ROOT/s3.env)")
                throw MissingSettings()
            }
            return value
        }
        let configuration = S3Configuration(
            endpoint: try #require(URL(string: endpoint)),
            region: try required("FERRY_S3_REGION"),
            bucket: try required("FERRY_S3_BUCKET"),
            credentials: S3Credentials(accessKeyID: try required("FERRY_S3_ACCESS_KEY"), secretAccessKey: try required("FERRY_S3_SECRET_KEY"))
        )
        return Settings(configuration: configuration)
    }

    struct MissingSettings: Error {}

    static func client(_ configure: (inout S3Configuration) -> Void = { _ in }) throws -> S3Client {
        var configuration = try settings().configuration
        configure(&configuration)
        return try S3Client(httpClient: HTTPClient.shared, configuration: configuration)
    }

    static func hex<D: Digest>(_ digest: D) -> String {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    static func collect(_ response: S3ObjectResponse) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in response.body {
            bytes += chunk.readableBytesView
        }
        return bytes
    }

    /// Writes `size` pseudo-random bytes to a new temporary file, 1 MiB at a time.
    static func randomFile(size: Int, seed: UInt64) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("s3kit-\(UUID().uuidString).bin").path
        guard FileManager.default.createFile(atPath: path, contents: nil) else { throw CocoaError(.fileWriteUnknown) }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var state = seed | 1
        var remaining = size
        while remaining > 0 {
            let count = min(remaining, 1 << 20)
            var chunk = [UInt8](repeating: 0, count: count)
            chunk.withUnsafeMutableBytes { raw in
                let words = raw.bindMemory(to: UInt64.self)
                for index in words.indices {
                    state ^= state << 13
                    state ^= state >> 7
                    state ^= state << 17
                    words[index] = state
                }
            }
            try handle.write(contentsOf: chunk)
            remaining -= count
        }
        return path
    }

    static func sha256(ofFile path: String) throws -> String {
        let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty {
            hasher.update(data: data)
        }
        return hex(hasher.finalize())
    }

    @Test("put, head, get, range get, delete")
    func objectRoundTrip() async throws {
        let client = try Self.client()
        let key = Self.prefix + "blobs/sha256/round trip+é=1"
        let bytes = Array((0..<1000).map { UInt8($0 % 256) })
        let sha = Self.hex(SHA256.hash(data: bytes))
        let eTag = try await client.putObject(key: key, body: .bytes(ByteBuffer(bytes: bytes)), length: 1000, sha256: sha)
        let head = try #require(try await client.headObject(key: key))
        #expect(head.size == 1000)
        #expect(head.eTag == eTag)
        #expect(head.lastModified != nil)

        let whole = try await client.getObject(key: key)
        #expect(whole.status == 200)
        #expect(try await Self.collect(whole) == bytes)

        let part = try await client.getObject(key: key, range: 100...199)
        #expect(part.status == 206)
        #expect(part.headers.first(name: "content-range") == "bytes 100-199/1000")
        #expect(try await Self.collect(part) == Array(bytes[100...199]))

        let listing = try await client.listObjects(prefix: Self.prefix + "blobs/sha256/")
        #expect(listing.objects.map(\.key) == [key])

        try await client.deleteObject(key: key)
        #expect(try await client.headObject(key: key) == nil)
    }

    @Test("an unsigned payload is accepted; a wrong sha256 is refused and not retried")
    func payloadHashes() async throws {
        let client = try Self.client()
        let key = Self.prefix + "unsigned"
        try await client.putObject(key: key, body: .bytes(ByteBuffer(string: "abc")), length: 3, sha256: nil)
        #expect(try await client.headObject(key: key)?.size == 3)
        let wrong = Self.hex(SHA256.hash(data: Array("not abc".utf8)))
        let error = try await #require(throws: S3Error.self) {
            try await client.putObject(key: key, body: .bytes(ByteBuffer(string: "abc")), length: 3, sha256: wrong)
        }
        #expect(error.httpStatus == 400)
        #expect(error.attempts == 1)
        print("radosgw answer to a wrong x-amz-content-sha256: \(error)")
        try await client.deleteObject(key: key)
    }

    @Test("40 MiB multipart upload in 16 MiB parts from a file, read back sha256-equal")
    func multipartUpload() async throws {
        let client = try Self.client()
        let size = 40 * 1024 * 1024
        let partSize = 16 * 1024 * 1024
        let path = try Self.randomFile(size: size, seed: 0x5EED)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let expected = try Self.sha256(ofFile: path)
        let key = Self.prefix + "blobs/sha256/\(expected)"

        let uploadID = try await client.createMultipartUpload(key: key)
        var parts: [S3CompletedPart] = []
        var offset = 0
        var number = 1
        while offset < size {
            let length = min(partSize, size - offset)
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            try handle.seek(toOffset: UInt64(offset))
            let partSHA = Self.hex(SHA256.hash(data: try handle.read(upToCount: length) ?? Data()))
            try handle.close()
            let eTag = try await client.uploadPart(
                key: key,
                uploadID: uploadID,
                partNumber: number,
                body: .file(path: path, offset: Int64(offset)),
                length: Int64(length),
                sha256: partSHA
            )
            parts.append(S3CompletedPart(partNumber: number, eTag: eTag))
            offset += length
            number += 1
        }
        #expect(parts.count == 3)
        #expect(try await client.headObject(key: key) == nil, "the object must not exist before completion")
        let eTag = try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: parts)
        let head = try #require(try await client.headObject(key: key))
        #expect(head.size == Int64(size))
        #expect(head.eTag.hasSuffix("-3\""))
        // radosgw 16.2 answers CompleteMultipartUpload with an empty <ETag/>.
        #expect(eTag == nil || eTag == head.eTag)
        let response = try await client.getObject(key: key)
        var hasher = SHA256()
        var received = 0
        for try await chunk in response.body {
            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            received += chunk.readableBytes
        }
        #expect(received == size)
        #expect(Self.hex(hasher.finalize()) == expected)

        // The same file through uploadFile (16 MiB parts, each sha256-signed).
        let copyKey = key + ".uploadFile"
        let copyETag = try await client.uploadFile(key: copyKey, path: path)
        #expect(copyETag.hasSuffix("-3\""))
        #expect(try await client.headObject(key: copyKey)?.size == Int64(size))
        try await client.deleteObject(key: key)
        try await client.deleteObject(key: copyKey)
    }

    @Test("an aborted upload leaves nothing in ListMultipartUploads")
    func abortedUpload() async throws {
        let client = try Self.client()
        let key = Self.prefix + "aborted"
        let uploadID = try await client.createMultipartUpload(key: key)
        _ = try await client.uploadPart(
            key: key,
            uploadID: uploadID,
            partNumber: 1,
            body: .bytes(ByteBuffer(repeating: 7, count: 5 << 20)),
            length: 5 << 20,
            sha256: nil
        )
        let before = try await client.listMultipartUploads(prefix: Self.prefix)
        let listed = try #require(before.first { $0.uploadID == uploadID })
        #expect(listed.key == key)
        #expect(listed.initiated.map { abs($0.timeIntervalSinceNow) < 600 } == true)
        try await client.abortMultipartUpload(key: key, uploadID: uploadID)
        let after = try await client.listMultipartUploads(prefix: Self.prefix)
        #expect(!after.contains { $0.uploadID == uploadID })
        #expect(try await client.headObject(key: key) == nil)
    }

    @Test("presigned GET: works without credentials, with Range; refused when tampered or expired")
    func presignedGet() async throws {
        let client = try Self.client()
        let key = Self.prefix + "presigned object é+x"
        try await client.putObject(key: key, body: .bytes(ByteBuffer(string: "presigned bytes")), length: 15, sha256: nil)

        func fetch(_ url: String, range: String? = nil) async throws -> (Int, String) {
            var request = HTTPClientRequest(url: url)
            if let range {
                request.headers.add(name: "Range", value: range)
            }
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            return (Int(response.status.code), String(buffer: body))
        }

        let url = try client.presignedGetURL(key: key, expires: .seconds(300)).absoluteString
        #expect(try await fetch(url) == (200, "presigned bytes"))
        #expect(try await fetch(url, range: "bytes=0-8") == (206, "presigned"))

        let signature = try #require(url.range(of: "X-Amz-Signature=")?.upperBound)
        let flipped: Character = url[signature] == "0" ? "1" : "0"
        let tampered = url.replacingCharacters(in: signature...signature, with: String(flipped))
        let (tamperedStatus, tamperedBody) = try await fetch(tampered)
        #expect(tamperedStatus == 403)
        #expect(tamperedBody.contains("SignatureDoesNotMatch"))
        let otherKey = url.replacingOccurrences(of: "presigned%20object", with: "presigned%20objecT")
        #expect(try await fetch(otherKey).0 == 403)

        let shortLived = try client.presignedGetURL(key: key, expires: .seconds(1)).absoluteString
        try await Task.sleep(for: .milliseconds(2_500))
        let (expiredStatus, expiredBody) = try await fetch(shortLived)
        #expect(expiredStatus == 403)
        print("radosgw answer to an expired presigned URL: \(expiredStatus) \(expiredBody)")
        try await client.deleteObject(key: key)
    }

    @Test("a wrong secret is refused with a clear SignatureDoesNotMatch")
    func wrongSecret() async throws {
        let client = try Self.client { $0.credentials.secretAccessKey = "definitely-not-the-secret" }
        let key = Self.prefix + "blobs/sha256/ab"
        let error = try await #require(throws: S3Error.self) {
            try await client.putObject(key: key, body: .bytes(ByteBuffer(string: "x")), length: 1, sha256: nil)
        }
        #expect(error.code == "SignatureDoesNotMatch")
        #expect(error.httpStatus == 403)
        #expect(error.attempts == 1)
        #expect(error.description.hasPrefix("S3 PutObject \(client.configuration.bucket)/\(key): 403 SignatureDoesNotMatch"))
        #expect(!error.description.contains("definitely-not-the-secret"))
        print(error)
    }

    @Test("missing keys: HEAD gives nil, GET gives NoSuchKey")
    func missingKeys() async throws {
        let client = try Self.client()
        let key = Self.prefix + "does/not/exist"
        #expect(try await client.headObject(key: key) == nil)
        let error = try await #require(throws: S3Error.self) { _ = try await client.getObject(key: key) }
        #expect(error.code == "NoSuchKey")
        #expect(error.httpStatus == 404)
        #expect(error.description.hasPrefix("S3 GetObject \(client.configuration.bucket)/\(key): 404 NoSuchKey"))
        print(error)
    }

    @Test("awkward keys round-trip and ListObjectsV2 pages with continuation tokens")
    func keysAndListing() async throws {
        let client = try Self.client()
        let base = Self.prefix + "keys/"
        let names = ["a b", "c+d=e", "été/ሴ", "x~y_z-1.2", "q?&#%"]
        for name in names {
            try await client.putObject(key: base + name, body: .bytes(ByteBuffer(string: name)), length: Int64(name.utf8.count), sha256: nil)
        }
        var seen: [String] = []
        var token: String?
        var pages = 0
        repeat {
            let page = try await client.listObjects(prefix: base, continuationToken: token, maxKeys: 2)
            seen += page.objects.map(\.key)
            token = page.nextContinuationToken
            pages += 1
        } while token != nil
        #expect(pages == 3)
        #expect(Set(seen) == Set(names.map { base + $0 }))
        for name in names {
            let response = try await client.getObject(key: base + name)
            #expect(String(decoding: try await Self.collect(response), as: UTF8.self) == name)
            try await client.deleteObject(key: base + name)
        }
    }
}
