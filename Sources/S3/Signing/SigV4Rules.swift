/// The points on which S3's flavour of Signature Version 4 differs from the generic one.
public struct SigV4Rules: Sendable, Hashable {
    /// Remove `.`/`..` segments and collapse repeated `/` before encoding the path.
    ///
    /// The generic test suite (`normalize-path/*`) requires it; S3 forbids it, since
    /// `a//b` and `a/./b` are distinct keys there.
    public var normalizesPath: Bool
    /// Add and sign `x-amz-content-sha256` on header-signed requests.
    ///
    /// S3 (and radosgw, which refuses a header-signed request without it) requires it;
    /// the generic test suite does not use it.
    public var signsContentSHA256Header: Bool

    /// Creates a rule set.
    public init(normalizesPath: Bool, signsContentSHA256Header: Bool) {
        self.normalizesPath = normalizesPath
        self.signsContentSHA256Header = signsContentSHA256Header
    }

    /// S3: path segments encoded once and never normalised; `x-amz-content-sha256` signed.
    public static let s3 = SigV4Rules(normalizesPath: false, signsContentSHA256Header: true)

    /// Generic AWS services (and the published SigV4 test suite): normalised path, no payload header.
    public static let generic = SigV4Rules(normalizesPath: true, signsContentSHA256Header: false)
}
