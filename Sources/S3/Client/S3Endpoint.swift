import Foundation

/// The scheme, host and port requests go to, and the `Host` header they carry.
struct S3Endpoint: Sendable {
    /// `http` or `https`.
    let scheme: String
    /// The authority for URLs and the `Host` header: host (bracketed if IPv6) and non-default port.
    let authority: String

    init(configuration: S3Configuration) throws(S3ConfigurationError) {
        let url = configuration.endpoint
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let rawHost = url.host, !rawHost.isEmpty,
            url.path.isEmpty || url.path == "/", url.query == nil
        else {
            throw .invalidEndpoint(url.absoluteString)
        }
        let bucket = configuration.bucket
        guard !bucket.isEmpty, !bucket.contains("/") else {
            throw .invalidBucket(bucket)
        }
        var host = rawHost.contains(":") && !rawHost.hasPrefix("[") ? "[\(rawHost)]" : rawHost
        if !configuration.usesPathStyle {
            guard bucket.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }),
                !host.hasPrefix("[")
            else {
                throw .invalidBucket(bucket)
            }
            host = "\(bucket).\(host)"
        }
        let defaultPort = scheme == "https" ? 443 : 80
        if let port = url.port, port != defaultPort {
            host += ":\(port)"
        }
        self.scheme = scheme
        self.authority = host
    }

    /// The absolute URL for an encoded path and query.
    func url(encodedPath: String, encodedQuery: String) -> String {
        "\(scheme)://\(authority)\(encodedPath)\(encodedQuery.isEmpty ? "" : "?" + encodedQuery)"
    }
}
