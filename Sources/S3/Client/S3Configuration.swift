import Foundation

/// Where and how to reach one S3 bucket.
///
/// `description` never prints the secret key.
public struct S3Configuration: Sendable, CustomStringConvertible {
    /// The default part size of multipart uploads: 16 MiB.
    public static let defaultPartSize = 16 * 1024 * 1024

    /// The service endpoint: `http` or `https`, a host, optionally a port, no path
    /// (e.g. `http://127.0.0.1:40480`, `https://s3.eu-west-1.amazonaws.com`).
    public var endpoint: URL
    /// The signing region, e.g. `us-east-1` (radosgw accepts any region unless zonegroups say otherwise).
    public var region: String
    /// The bucket every operation addresses.
    public var bucket: String
    /// The credentials requests are signed with.
    public var credentials: S3Credentials
    /// Path-style addressing (`endpoint/bucket/key`) when true; virtual-hosted
    /// (`bucket.endpoint/key`) when false.
    public var usesPathStyle: Bool
    /// The part size ``S3Client/uploadFile(key:path:)`` uses, 5 MiB…5 GiB.
    public var partSize: Int
    /// How long a request may take until its response head arrives (body streaming is not bounded).
    public var requestTimeout: Duration

    /// Creates a configuration.
    public init(
        endpoint: URL,
        region: String,
        bucket: String,
        credentials: S3Credentials,
        usesPathStyle: Bool = true,
        partSize: Int = S3Configuration.defaultPartSize,
        requestTimeout: Duration = .seconds(120)
    ) {
        self.endpoint = endpoint
        self.region = region
        self.bucket = bucket
        self.credentials = credentials
        self.usesPathStyle = usesPathStyle
        self.partSize = partSize
        self.requestTimeout = requestTimeout
    }

    /// A rendering without the secret.
    public var description: String {
        "S3Configuration(endpoint: \(endpoint.absoluteString), region: \(region), bucket: \(bucket), "
            + "credentials: \(credentials), usesPathStyle: \(usesPathStyle), partSize: \(partSize), requestTimeout: \(requestTimeout))"
    }
}
