import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import OCI

/// A real upstream registry reached over HTTP with AsyncHTTPClient: the registry API
/// plus the anonymous (or credentialed) bearer-token dance, with tokens cached per
/// scope until they expire. Redirects (302/307 to blob storage) are followed by the
/// client, which drops `Authorization` on a cross-origin hop.
public struct RegistryUpstream: Upstream {
    public let configuration: UpstreamConfiguration
    let client: HTTPClient
    /// The client for blob bodies, so long downloads never hold up manifests and tokens.
    let blobClient: HTTPClient
    let tokens: UpstreamTokenCache
    /// How long to wait for a response head; body reads are bounded by the client's read timeout.
    let responseTimeout: TimeAmount
    let logger: Logger
    /// Told about every request: method, status (nil when no response came) and duration.
    let observe: @Sendable (_ method: String, _ status: Int?, _ duration: Duration) -> Void

    /// Creates an upstream over a shared `HTTPClient` (which the caller shuts down).
    public init(
        configuration: UpstreamConfiguration,
        client: HTTPClient,
        blobClient: HTTPClient? = nil,
        responseTimeout: Duration,
        logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init,
        observe: @escaping @Sendable (_ method: String, _ status: Int?, _ duration: Duration) -> Void = { _, _, _ in }
    ) {
        self.observe = observe
        self.configuration = configuration
        self.client = client
        self.blobClient = blobClient ?? client
        self.responseTimeout = .nanoseconds(Int64(responseTimeout.components.seconds) * 1_000_000_000 + responseTimeout.components.attoseconds / 1_000_000_000)
        self.tokens = UpstreamTokenCache(now: now)
        var logger = logger
        logger[metadataKey: "upstream"] = "\(configuration.registry)"
        self.logger = logger
    }

    public func manifest(_ repository: RepositoryName, reference: Reference, headOnly: Bool) async throws(UpstreamError) -> UpstreamManifest {
        let response = try await send(headOnly ? .HEAD : .GET, path: "/v2/\(repository.value)/manifests/\(reference)", repository: repository, accept: MediaType.allManifestTypes)
        try await expectSuccess(response)
        let digest = response.headers.first(name: "Docker-Content-Digest").flatMap { try? Digest(parsing: $0) }
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        var mediaType = response.headers.first(name: "Content-Type")?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        if headOnly {
            return UpstreamManifest(mediaType: mediaType, digest: digest, body: nil, size: length)
        }
        let body: ByteBuffer
        do {
            body = try await response.body.collect(upTo: PullThroughManifestCache.maximumManifestSize)
        } catch {
            throw .invalidResponse("manifest body too large or interrupted: \(error)")
        }
        let bytes = Array(body.readableBytesView)
        if !MediaType.allManifestTypes.contains(mediaType), let declared = ManifestFields.declaredMediaType(bytes) {
            mediaType = declared
        }
        return UpstreamManifest(mediaType: mediaType, digest: digest, body: bytes, size: Int64(bytes.count))
    }

    public func blob(_ repository: RepositoryName, digest: Digest, from offset: Int64, through end: Int64?) async throws(UpstreamError) -> UpstreamBlob {
        let range = offset > 0 || end != nil ? "bytes=\(offset)-\(end.map(String.init) ?? "")" : nil
        let response = try await send(.GET, path: "/v2/\(repository.value)/blobs/\(digest)", repository: repository, accept: [], range: range, bulk: true)
        try await expectSuccess(response)
        let length = response.headers.first(name: "Content-Length").flatMap { Int64($0) }
        return UpstreamBlob(contentLength: length, offset: response.status == .partialContent ? offset : 0, body: response.body)
    }

    /// The size from HEAD's `Content-Length`; when the upstream (or a proxy before it)
    /// leaves that out, from the total in `Content-Range` of a one-byte ranged GET.
    public func blobSize(_ repository: RepositoryName, digest: Digest) async throws(UpstreamError) -> Int64? {
        let path = "/v2/\(repository.value)/blobs/\(digest)"
        let response = try await send(.HEAD, path: path, repository: repository, accept: [])
        try await expectSuccess(response)
        if let length = response.headers.first(name: "Content-Length").flatMap({ Int64($0) }) { return length }
        let probe = try await send(.GET, path: path, repository: repository, accept: [], range: "bytes=0-0")
        try await expectSuccess(probe)
        await drain(probe)
        guard probe.status == .partialContent else {
            return probe.headers.first(name: "Content-Length").flatMap { Int64($0) }
        }
        return probe.headers.first(name: "Content-Range").flatMap { Self.totalSize(contentRange: $0) }
    }

    /// The total of `Content-Range: bytes 0-0/1234`; nil for `*` or malformed values.
    static func totalSize(contentRange: String) -> Int64? {
        guard let slash = contentRange.lastIndex(of: "/") else { return nil }
        return Int64(contentRange[contentRange.index(after: slash)...].trimmingCharacters(in: .whitespaces))
    }

    public func tags(_ repository: RepositoryName, count: Int?, last: String?) async throws(UpstreamError) -> UpstreamTagList {
        var query: [String] = []
        if let count { query.append("n=\(count)") }
        if let last, let encoded = last.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["&", "=", "+"])) {
            query.append("last=\(encoded)")
        }
        let path = "/v2/\(repository.value)/tags/list" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
        let response = try await send(.GET, path: path, repository: repository, accept: ["application/json"])
        try await expectSuccess(response)
        do {
            let body = try await response.body.collect(upTo: 16 << 20)
            return UpstreamTagList(body: Array(body.readableBytesView), link: response.headers.first(name: "Link"))
        } catch {
            throw .invalidResponse("tag list too large or interrupted: \(error)")
        }
    }

    // MARK: - Requests

    /// Sends a request with the cached authorization for the repository's pull scope,
    /// answering one authentication challenge if the upstream sends one.
    func send(_ method: HTTPMethod, path: String, repository: RepositoryName, accept: [String], range: String? = nil, bulk: Bool = false) async throws(UpstreamError) -> HTTPClientResponse {
        let scope = Scope.pull(repository).description
        var authorization = tokens.authorization(for: scope)
        if authorization == nil, let challenge = tokens.challenge {
            authorization = try await authorize(challenge, scope: scope)
        }
        let response = try await execute(method, path: path, accept: accept, authorization: authorization, range: range, bulk: bulk)
        guard response.status == .unauthorized,
              let header = response.headers.first(name: "WWW-Authenticate"),
              let challenge = AuthChallenge.parse(header)
        else { return response }
        await drain(response)
        tokens.invalidate(scope: scope)
        if challenge.scheme == "bearer" { tokens.challenge = challenge }
        guard let fresh = try await authorize(challenge, scope: scope) else {
            throw .denied(status: 401)
        }
        return try await execute(method, path: path, accept: accept, authorization: fresh, range: range, bulk: bulk)
    }

    private func execute(_ method: HTTPMethod, path: String, accept: [String], authorization: String?, range: String?, bulk: Bool) async throws(UpstreamError) -> HTTPClientResponse {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "User-Agent", value: "ferry")
        if !accept.isEmpty { request.headers.add(name: "Accept", value: accept.joined(separator: ", ")) }
        if let authorization { request.headers.add(name: "Authorization", value: authorization) }
        if let range { request.headers.add(name: "Range", value: range) }
        let started = ContinuousClock.now
        do {
            let response = try await (bulk ? blobClient : client).execute(request, timeout: responseTimeout, logger: logger)
            observe(method.rawValue, Int(response.status.code), ContinuousClock.now - started)
            return response
        } catch {
            if Task.isCancelled { throw .cancelled }
            observe(method.rawValue, nil, ContinuousClock.now - started)
            logger.warning("upstream request failed", metadata: ["method": "\(method)", "path": "\(path)", "error": "\(error)"])
            throw .unreachable("\(error)")
        }
    }

    /// Maps a non-success status to an `UpstreamError`, draining the body.
    private func expectSuccess(_ response: HTTPClientResponse) async throws(UpstreamError) {
        let code = Int(response.status.code)
        guard !(200..<300).contains(code) else { return }
        await drain(response)
        switch code {
        case 404: throw .notFound
        case 401, 403: throw .denied(status: code)
        case 429: throw .rateLimited(retryAfter: response.headers.first(name: "Retry-After").flatMap { Int($0) })
        default: throw .status(code)
        }
    }

    private func drain(_ response: HTTPClientResponse) async {
        _ = try? await response.body.collect(upTo: 1 << 20)
    }

    private var baseURL: String {
        var text = configuration.url.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
