import Foundation

/// Which endpoint of the distribution API a request path addresses.
///
/// Names may contain `/`, so the path is split at the LAST `/manifests/`, `/blobs/` or
/// `/tags/list`: a reference or digest never contains `/`.
public enum RegistryRoute: Sendable, Equatable {
    /// `/v2/`: the API version check.
    case base
    /// `/v2/<name>/manifests/<reference>`
    case manifest(name: String, reference: Reference)
    /// `/v2/<name>/blobs/<digest>`
    case blob(name: String, digest: Digest)
    /// `/v2/<name>/tags/list`
    case tags(name: String)
    /// `/v2/<name>/blobs/uploads/…`: pushing, which a mirror does not support.
    case upload(name: String)
    /// `/v2/_catalog`: listing every repository, which a mirror cannot answer.
    case catalog

    /// The longest request path accepted.
    public static let maximumPathLength = 2048

    /// Parses a raw (still percent-encoded) request path. Returns nil for paths outside
    /// `/v2`; throws for malformed ones. Any `%` is refused: no valid name, reference or
    /// digest needs one, and decoding would let `%2F` or `%2E%2E` smuggle in structure.
    public static func parse(path: String) throws(OCIError) -> RegistryRoute? {
        guard path == "/v2" || path.hasPrefix("/v2/") else { return nil }
        guard path.utf8.count <= maximumPathLength else {
            throw OCIError(.nameInvalid, "request path is longer than \(maximumPathLength) bytes")
        }
        guard !path.contains("%") else {
            throw OCIError(.nameInvalid, "percent-encoded characters are not allowed in repository paths")
        }
        let rest = path.dropFirst(path == "/v2" ? 3 : 4)
        if rest.isEmpty { return .base }
        if rest == "_catalog" { return .catalog }
        if rest.hasSuffix("/tags/list") {
            return .tags(name: String(rest.dropLast("/tags/list".count)))
        }
        if let range = rest.range(of: "/blobs/uploads", options: .backwards),
           rest[range.upperBound...].isEmpty || rest[range.upperBound...].hasPrefix("/") {
            return .upload(name: String(rest[..<range.lowerBound]))
        }
        if let range = rest.range(of: "/manifests/", options: .backwards) {
            let reference = try Reference(parsing: rest[range.upperBound...])
            return .manifest(name: String(rest[..<range.lowerBound]), reference: reference)
        }
        if let range = rest.range(of: "/blobs/", options: .backwards) {
            let digest = try Digest(parsing: rest[range.upperBound...])
            return .blob(name: String(rest[..<range.lowerBound]), digest: digest)
        }
        throw OCIError(.nameUnknown, "unknown registry API path")
    }

    /// The raw repository name in the path, when the route has one.
    public var name: String? {
        switch self {
        case .manifest(let name, _), .blob(let name, _), .tags(let name), .upload(let name): name
        case .base, .catalog: nil
        }
    }
}
