import Foundation

/// Where verified blobs are kept besides the local disk.
///
/// Configuration keys:
/// - `storage.backend`: `filesystem` (default: the local disk only) or `s3` (the local
///   disk as the first level in front of one bucket every server shares; needs
///   `database.url`, where the bucket's contents are recorded).
/// - `storage.s3.endpoint`: the S3 endpoint URL (`https://s3.eu-west-1.amazonaws.com`,
///   `http://127.0.0.1:7480`).
/// - `storage.s3.region` (default `us-east-1`), `storage.s3.bucket`.
/// - `storage.s3.access-key-file`, `storage.s3.secret-key-file` (or `storage.s3.access-key`,
///   `storage.s3.secret-key` in the environment; never on the command line).
/// - `storage.s3.prefix`: a key prefix, to share a bucket (default none; blobs are kept
///   under `PREFIXblobs/sha256/…`).
/// - `storage.s3.path-style`: `bucket` in the path rather than the host name (default true).
/// - `storage.s3.part-size`: upload part size (default 16MiB, 5MiB–5GiB).
/// - `storage.s3.redirect`: `never` (default) or `full-body`: a GET of a whole blob the
///   bucket holds is answered 307 with a presigned URL that lives `storage.s3.redirect-lifetime`
///   (default 60s, at most 60s); ranges stay proxied.
/// - `storage.s3.abandoned-upload-age`: multipart uploads older than this are aborted
///   (left by a server that died while filling; default 1h, longer than any fill).
public struct StorageConfiguration: Sendable {
    /// What backs the cache beyond the local disk.
    public enum Backend: String, Sendable, CaseIterable {
        case filesystem
        case s3
    }

    /// When a client is sent to the bucket instead of being served by Ferry.
    public enum Redirect: String, Sendable, CaseIterable {
        case never
        case fullBody = "full-body"
    }

    /// The bucket's settings; printing them never shows the secret key.
    public struct S3: Sendable, CustomStringConvertible {
        public var endpoint: URL
        public var region: String
        public var bucket: String
        public var prefix: String
        public var accessKey: String
        public var secretKey: String
        public var pathStyle: Bool
        public var partSize: Int
        public var redirect: Redirect
        public var redirectLifetime: Duration
        public var abandonedUploadAge: Duration

        public var description: String {
            "s3 \(endpoint.absoluteString) bucket \(bucket)\(prefix.isEmpty ? "" : " prefix \(prefix)"), access key \(accessKey), redirect \(redirect.rawValue)"
        }
    }

    public var backend: Backend
    /// Set when `backend` is `s3`.
    public var s3: S3?

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        let storage = reader.scoped(to: "storage")
        backend = try storage.choice("backend", default: .filesystem)
        let values = storage.scoped(to: "s3")
        // Read whatever the backend, so the keys are known (and reported when malformed).
        let endpoint = try values.url("endpoint")
        let region = values.string("region", default: "us-east-1")
        let bucket = values.string("bucket")
        let prefix = values.string("prefix", default: "")
        let accessKey = try values.secret("access-key")
        let secretKey = try values.secret("secret-key")
        let pathStyle = try values.bool("path-style", default: true)
        let partSize = try values.byteCount("part-size") ?? 16 << 20
        let redirect: Redirect = try values.choice("redirect", default: .never)
        let lifetime = try values.duration("redirect-lifetime", default: .seconds(60), range: .seconds(1)...(.seconds(60)))
        let abandonedUploadAge = try values.duration("abandoned-upload-age", default: .seconds(3600))
        guard backend == .s3 else {
            s3 = nil
            return
        }
        guard let endpoint else { throw ConfigurationError("storage.s3.endpoint: required with storage.backend s3") }
        guard let bucket else { throw ConfigurationError("storage.s3.bucket: required with storage.backend s3") }
        guard let accessKey else { throw ConfigurationError("storage.s3.access-key-file: required with storage.backend s3") }
        guard let secretKey else { throw ConfigurationError("storage.s3.secret-key-file: required with storage.backend s3") }
        guard (5 << 20...5 << 30).contains(partSize) else { throw ConfigurationError("storage.s3.part-size: must be between 5MiB and 5GiB") }
        s3 = S3(
            endpoint: endpoint, region: region, bucket: bucket, prefix: prefix, accessKey: accessKey, secretKey: secretKey, pathStyle: pathStyle, partSize: Int(partSize),
            redirect: redirect, redirectLifetime: lifetime, abandonedUploadAge: abandonedUploadAge
        )
    }
}
