import AsyncHTTPClient
import Cache
import Foundation
import Gateway
import Logging
import OCI
import PostgresNIO
import S3

/// The live second level of the cache: an S3 bucket (over an HTTP client of its own)
/// whose contents are recorded in PostgreSQL.
public struct SharedBucket: Sendable {
    public let storage: SharedStorage
    let store: S3BlobStore
    let index: PostgresSharedBlobIndex
    /// The bucket's HTTP client, run as a service (it stops after the downloads).
    let httpClient: HTTPClientService
    let settings: StorageConfiguration.S3

    /// Connects to the bucket `settings` names (no request is made yet); `failed` is
    /// told about every failed request to the bucket or its index.
    init(_ settings: StorageConfiguration.S3, database: PostgresClient, logger: Logger, failed: @escaping @Sendable () -> Void = {}) throws {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: HTTPClientService.upstreamConnectionsPerHost)
        // A stopped store must fail fast: the upstream then serves (and AsyncHTTPClient
        // would otherwise retry a refused connection until the connect timeout).
        pool.retryConnectionEstablishment = false
        let client = HTTPClient(
            eventLoopGroup: .singletonMultiThreadedEventLoopGroup,
            configuration: .init(timeout: .init(connect: .seconds(3), read: .seconds(60)), connectionPool: pool, decompression: .disabled)
        )
        do {
            let s3 = try S3Client(
                httpClient: client,
                configuration: S3Configuration(
                    endpoint: settings.endpoint, region: settings.region, bucket: settings.bucket,
                    credentials: S3Credentials(accessKeyID: settings.accessKey, secretAccessKey: settings.secretKey), usesPathStyle: settings.pathStyle,
                    partSize: settings.partSize
                ),
                logger: logger
            )
            store = S3BlobStore(client: s3, prefix: settings.prefix)
        } catch {
            try? client.syncShutdown()
            throw ConfigurationError("storage.s3: \(error)")
        }
        index = PostgresSharedBlobIndex(client: database, logger: logger)
        httpClient = HTTPClientService(client: client)
        storage = SharedStorage(store: store, index: index, logger: logger, failed: failed)
        self.settings = settings
    }

    /// Sends GETs of whole blobs the bucket holds to it (`storage.s3.redirect full-body`).
    var redirector: BlobRedirector? {
        guard settings.redirect == .fullBody else { return nil }
        let (storage, store, lifetime) = (storage, store, settings.redirectLifetime)
        return { digest in
            guard let size = await storage.size(of: digest) else { return nil }
            guard let url = try? store.client.presignedGetURL(key: store.key(digest), expires: lifetime) else { return nil }
            storage.noteAccess(digest)
            return BlobRedirect(location: url.absoluteString, size: size)
        }
    }

    /// Aborts the uploads older than `storage.s3.abandoned-upload-age`.
    public func abortAbandonedUploads(now: Date, logger: Logger) async throws -> Int {
        let (seconds, _) = settings.abandonedUploadAge.components
        return try await store.abortUploads(startedBefore: now.addingTimeInterval(-Double(seconds)), logger: logger)
    }

    /// Runs `body` with the bucket `storage` names (its index's PostgreSQL client
    /// running), for a command; nil when no shared store is configured.
    public static func withBucket<T: Sendable>(
        _ storage: StorageConfiguration, database: DatabaseConfiguration, logger: Logger, _ body: @Sendable (SharedBucket?) async throws -> T
    ) async throws -> T {
        guard let settings = storage.s3 else { return try await body(nil) }
        let database = try database.required(by: "storage.backend s3")
        return try await withDatabase(database) { client in
            let bucket = try SharedBucket(settings, database: client, logger: logger)
            do {
                let result = try await body(bucket)
                try await bucket.httpClient.client.shutdown()
                return result
            } catch {
                try? await bucket.httpClient.client.shutdown()
                throw error
            }
        }
    }
}
