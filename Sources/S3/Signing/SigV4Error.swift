/// A request that cannot be signed as asked.
public enum SigV4Error: Error, Sendable, Hashable, CustomStringConvertible {
    /// A presigned URL's lifetime must be 1…604800 seconds (7 days).
    case invalidExpiry(seconds: Int)

    /// A readable explanation.
    public var description: String {
        switch self {
        case .invalidExpiry(let seconds):
            return "presigned URL expiry must be between 1 and \(SigV4Signer.maximumPresignExpiry) seconds, got \(seconds)"
        }
    }
}
