import AsyncHTTPClient
import Crypto
import FerryServer
import Foundation
import NIOCore
import PostgresNIO
import S3
import Testing

/// The radosgw `scripts/test-env.sh` starts (`FERRY_S3_*`), and what the shared-store
/// tests do with it: each test keeps its blobs under a key prefix of its own, over a
/// database of its own, so tests running side by side never see each other's blobs.
struct SharedStoreEnvironment: Sendable {
    let endpoint: URL
    let region: String
    let bucket: String
    let accessKey: String
    let secretKey: String

    static func require() throws -> SharedStoreEnvironment {
        let environment = ProcessInfo.processInfo.environment
        guard let endpoint = environment["FERRY_S3_ENDPOINT"].flatMap(URL.init(string:)), let bucket = environment["FERRY_S3_BUCKET"],
              let accessKey = environment["FERRY_S3_ACCESS_KEY"], let secretKey = environment["FERRY_S3_SECRET_KEY"]
        else { throw TestEnvironment.EnvironmentMissing() }
        return SharedStoreEnvironment(endpoint: endpoint, region: environment["FERRY_S3_REGION"] ?? "us-east-1", bucket: bucket, accessKey: accessKey, secretKey: secretKey)
    }

    /// A prefix no other test uses.
    static func uniquePrefix(_ label: String) -> String {
        "test-\(label)-\(UUID().uuidString.prefix(8).lowercased())/"
    }

    /// The configuration of an open-mode server on this store (as `FERRY_*` variables).
    func serverEnvironment(prefix: String, databaseURL: String, endpoint override: URL? = nil) -> [String: String] {
        [
            "FERRY_ACCESS_MODE": "open",
            "FERRY_STORAGE_BACKEND": "s3",
            "FERRY_STORAGE_S3_ENDPOINT": (override ?? endpoint).absoluteString,
            "FERRY_STORAGE_S3_REGION": region,
            "FERRY_STORAGE_S3_BUCKET": bucket,
            "FERRY_STORAGE_S3_PREFIX": prefix,
            "FERRY_STORAGE_S3_ACCESS_KEY": accessKey,
            "FERRY_STORAGE_S3_SECRET_KEY": secretKey,
            "FERRY_STORAGE_S3_PART_SIZE": "5MiB",
            "FERRY_DATABASE_URL": databaseURL,
            "FERRY_MIGRATIONS_DIR": DatabaseConfiguration.defaultMigrationsDirectory(),
        ]
    }

    /// The same keys for an in-process configuration.
    func configurationKeys(prefix: String, endpoint override: URL? = nil) -> [String: String] {
        [
            "storage.backend": "s3", "storage.s3.endpoint": (override ?? endpoint).absoluteString, "storage.s3.region": region, "storage.s3.bucket": bucket,
            "storage.s3.prefix": prefix, "storage.s3.access-key": accessKey, "storage.s3.secret-key": secretKey, "storage.s3.part-size": "5MiB",
        ]
    }

    /// Runs `body` with a client of the bucket.
    func withClient<T: Sendable>(_ body: @Sendable (S3Client) async throws -> T) async throws -> T {
        let http = HTTPClient(eventLoopGroup: .singletonMultiThreadedEventLoopGroup, configuration: .init(timeout: .init(connect: .seconds(3))))
        do {
            let client = try S3Client(
                httpClient: http,
                configuration: S3Configuration(
                    endpoint: endpoint, region: region, bucket: bucket, credentials: S3Credentials(accessKeyID: accessKey, secretAccessKey: secretKey)
                )
            )
            let result = try await body(client)
            try await http.shutdown()
            return result
        } catch {
            try? await http.shutdown()
            throw error
        }
    }

    /// Every object under `prefix`.
    func objects(under prefix: String) async throws -> [S3ObjectSummary] {
        try await withClient { client in
            var found: [S3ObjectSummary] = []
            var token: String?
            repeat {
                let page = try await client.listObjects(prefix: prefix, continuationToken: token)
                found += page.objects
                token = page.nextContinuationToken
            } while token != nil
            return found
        }
    }

    /// The multipart uploads under way under `prefix`.
    func uploads(under prefix: String) async throws -> [S3MultipartUploadSummary] {
        try await withClient { try await $0.listMultipartUploads(prefix: prefix) }
    }

    /// The SHA-256 of an object's bytes, as `sha256:…`.
    func digest(ofObject key: String) async throws -> String {
        try await withClient { client in
            var hasher = SHA256()
            for try await chunk in try await client.getObject(key: key).body {
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
        }
    }
}

/// The `shared_blobs` rows of the database at `url`: digest → size.
func sharedBlobRows(_ url: String) async throws -> [String: Int64] {
    try await withDatabase(try DatabaseSettings.parse(url)) { client in
        var rows: [String: Int64] = [:]
        for try await (digest, size) in try await client.query("SELECT digest, size FROM shared_blobs").decode((String, Int64).self) {
            rows[digest] = size
        }
        return rows
    }
}

/// Waits until `condition` holds (checked every 100 ms), or fails after `timeout`.
func waitUntil(_ what: String, timeout: Duration = .seconds(30), _ condition: @Sendable () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    Issue.record("timed out waiting until \(what)")
    throw WaitTimedOut()
}

struct WaitTimedOut: Error {}

/// GETs `url` and returns the status and the body's digest (`sha256:…`) and length.
func fetchDigest(_ url: String, headers: [(String, String)] = []) async throws -> (status: Int, digest: String, bytes: Int) {
    var request = HTTPClientRequest(url: url)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    var hasher = SHA256()
    var bytes = 0
    for try await chunk in response.body {
        bytes += chunk.readableBytes
        chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
    }
    return (Int(response.status.code), "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined(), bytes)
}

/// Pushes `bytes` as a blob of `repository` to the registry at `registry` (a monolithic
/// upload) and returns its digest.
func pushBlob(_ bytes: [UInt8], repository: String, registry: URL) async throws -> String {
    let digest = "sha256:" + sha256Hex(bytes)
    var start = HTTPClientRequest(url: "\(registry.absoluteString)/v2/\(repository)/blobs/uploads/")
    start.method = .POST
    let started = try await HTTPClient.shared.execute(start, timeout: .seconds(30))
    guard started.status == .accepted, var location = started.headers.first(name: "Location") else {
        throw PushFailed(status: Int(started.status.code))
    }
    if location.hasPrefix("/") { location = registry.absoluteString + location }
    var put = HTTPClientRequest(url: location + (location.contains("?") ? "&" : "?") + "digest=\(digest)")
    put.method = .PUT
    put.headers.add(name: "Content-Type", value: "application/octet-stream")
    put.body = .bytes(ByteBuffer(bytes: bytes))
    let stored = try await HTTPClient.shared.execute(put, timeout: .seconds(60))
    guard stored.status == .created else { throw PushFailed(status: Int(stored.status.code)) }
    return digest
}

struct PushFailed: Error { let status: Int }
