extension CacheError {
    /// Translates an upstream failure into what the client should see; `notFound` says
    /// which kind of thing was missing.
    init(_ error: UpstreamError, notFound: Kind, upstream: String) {
        switch error {
        case .notFound:
            let what = switch notFound {
            case .blobUnknown: "blob"
            case .nameUnknown: "repository"
            default: "manifest"
            }
            self.init(notFound, "\(what) unknown to upstream \(upstream)")
        case .denied:
            self.init(.nameUnknown, "repository not found on upstream \(upstream), or not accessible to this mirror")
        case .rateLimited(let retryAfter):
            self.init(.rateLimited(retryAfter: retryAfter), "upstream \(upstream) is rate-limiting this mirror; try again later")
        case .status(let code):
            self.init(.unavailable, "upstream \(upstream) answered with status \(code)")
        case .unreachable:
            self.init(.unavailable, "upstream \(upstream) is unreachable")
        case .invalidResponse:
            self.init(.unavailable, "upstream \(upstream) sent an invalid response")
        case .cancelled:
            self.init(.unavailable, "request cancelled")
        }
    }
}
