import Foundation

/// Which endpoint of the distribution API a request path addresses.
///
/// Names may contain `/` (and even components called `manifests` or `blobs`), so the
/// endpoint is read from the last path components: a reference or digest never
/// contains `/`.
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
    /// So is any non-ASCII byte: none is valid either, and a combining mark would join
    /// the `%` or `/` before it into one Character that a Character check misses.
    public static func parse(path: String) throws(OCIError) -> RegistryRoute? {
        guard let api = apiPath(path) else { return nil }
        guard path.utf8.count <= maximumPathLength else {
            throw OCIError(.nameInvalid, "request path is longer than \(maximumPathLength) bytes")
        }
        guard path.utf8.allSatisfy({ $0 < 0x80 && $0 != UInt8(ascii: "%") }) else {
            throw OCIError(.nameInvalid, "percent-encoded and non-ASCII characters are not allowed in repository paths")
        }
        var rest = api
        if rest.isEmpty { return .base }
        if rest == "_catalog" { return .catalog }
        // `/v2/<name>/blobs/uploads/` (trailing slash) starts an upload.
        if rest.hasSuffix("/blobs/uploads/") { rest = rest.dropLast() }
        // The endpoint is named by the LAST components; everything before them is the name.
        let components = rest.split(separator: "/", omittingEmptySubsequences: false)
        let count = components.count
        func name(droppingLast suffixCount: Int) -> String {
            components.dropLast(suffixCount).joined(separator: "/")
        }
        if count >= 3, components[count - 2] == "tags", components[count - 1] == "list" {
            return .tags(name: name(droppingLast: 2))
        }
        if count >= 3, components[count - 2] == "manifests" {
            return .manifest(name: name(droppingLast: 2), reference: try Reference(parsing: components[count - 1]))
        }
        if count >= 3, components[count - 2] == "blobs" {
            if components[count - 1] == "uploads" { return .upload(name: name(droppingLast: 2)) }
            return .blob(name: name(droppingLast: 2), digest: try Digest(parsing: components[count - 1]))
        }
        if count >= 4, components[count - 3] == "blobs", components[count - 2] == "uploads" {
            return .upload(name: name(droppingLast: 3))
        }
        // Not a well-formed endpoint: name the part that is wrong when it is clear.
        if let range = rest.range(of: "/manifests/", options: .backwards) {
            _ = try Reference(parsing: rest[range.upperBound...])
        }
        if let range = rest.range(of: "/blobs/", options: .backwards) {
            _ = try Digest(parsing: rest[range.upperBound...])
        }
        throw OCIError(.nameUnknown, "unknown registry API path")
    }

    /// What follows `/v2/` in `path` (empty for `/v2` and `/v2/`), or nil when the path
    /// is not under `/v2`.
    static func apiPath(_ path: String) -> Substring? {
        let utf8 = path.utf8
        guard utf8.starts(with: "/v2".utf8) else { return nil }
        let rest = utf8.dropFirst(3)
        if rest.isEmpty { return "" }
        guard rest.first == UInt8(ascii: "/") else { return nil }
        return Substring(rest.dropFirst())
    }

    /// A low-cardinality name for metrics and logs: `base`, `manifest`, `blob`, `tags`,
    /// `upload` or `catalog`.
    public var kind: String {
        switch self {
        case .base: "base"
        case .manifest: "manifest"
        case .blob: "blob"
        case .tags: "tags"
        case .upload: "upload"
        case .catalog: "catalog"
        }
    }

    /// The raw repository name in the path, when the route has one.
    public var name: String? {
        switch self {
        case .manifest(let name, _), .blob(let name, _), .tags(let name), .upload(let name): name
        case .base, .catalog: nil
        }
    }
}
