/// A configuration ``S3Client`` cannot work with.
public enum S3ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The endpoint is not `http(s)://host[:port]` without a path.
    case invalidEndpoint(String)
    /// The part size is outside 5 MiB…5 GiB.
    case invalidPartSize(Int)
    /// The bucket name is empty, or cannot be a host name label for virtual-hosted addressing.
    case invalidBucket(String)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .invalidEndpoint(let endpoint):
            return "S3 endpoint must be http(s)://host[:port] with no path, got '\(endpoint)'"
        case .invalidPartSize(let size):
            return "S3 part size must be between 5 MiB and 5 GiB, got \(size) bytes"
        case .invalidBucket(let bucket):
            return "S3 bucket name '\(bucket)' cannot be used with this addressing style"
        }
    }
}
