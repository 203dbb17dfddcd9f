import Cache
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import OCI

/// The pull side of the OCI distribution API (`/v2/…`), served through the cache.
/// Push, delete and upload endpoints answer 405 `UNSUPPORTED`.
public struct RegistryController: Sendable {
    public let directory: UpstreamDirectory
    public let manifests: PullThroughManifestCache
    public let blobs: PullThroughBlobCache
    /// Sends GETs of whole blobs to the shared store; nil serves every blob.
    public let redirect: BlobRedirector?

    /// Creates the controller over the caches and the upstream routing table.
    public init(directory: UpstreamDirectory, manifests: PullThroughManifestCache, blobs: PullThroughBlobCache, redirect: BlobRedirector? = nil) {
        self.directory = directory
        self.manifests = manifests
        self.blobs = blobs
        self.redirect = redirect
    }

    /// Registers the API's routes in the `/v2` group (`RegistryRouteMiddleware` first).
    public func addRoutes(to group: RouterGroup<FerryRequestContext>) {
        for path in ["", "**"] as [RouterPath] {
            group.get(path, use: handle)
            group.head(path, use: handle)
            group.post(path, use: unsupported)
            group.put(path, use: unsupported)
            group.patch(path, use: unsupported)
            group.delete(path, use: unsupported)
        }
    }

    @Sendable func unsupported(_ request: Request, context: FerryRequestContext) async throws -> Response {
        throw OCIError(.unsupported, "this registry is a read-only mirror: \(request.method.rawValue) is not supported")
    }

    @Sendable func handle(_ request: Request, context: FerryRequestContext) async throws -> Response {
        // The route middleware parsed the path; a path it could not parse is parsed
        // again here for the error that says what is wrong with it.
        guard let route = try context.route ?? RegistryRoute.parse(path: request.uri.path) else {
            throw OCIError(.nameUnknown, "unknown registry API path")
        }
        let namespace = request.uri.queryParameters["ns"].map(String.init)
        var response: Response
        switch route {
        case .base:
            response = Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: "{}")))
        case .catalog:
            throw OCIError(.unsupported, "a mirror cannot list every repository of its upstreams")
        case .upload:
            throw OCIError(.unsupported, "this registry is a read-only mirror: pushing is not supported")
        case .manifest(let name, let reference):
            let target = try resolve(name, request: request, context: context, namespace: namespace)
            response = try await manifest(reference, target: target, request: request, context: context)
        case .blob(let name, let digest):
            let target = try resolve(name, request: request, context: context, namespace: namespace)
            response = try await blob(digest, target: target, request: request, context: context)
        case .tags(let name):
            let target = try resolve(name, request: request, context: context, namespace: namespace)
            response = try await tags(name, target: target, request: request)
        }
        response.headers[.dockerDistributionAPIVersion] = "registry/2.0"
        // Bodies are manifests, blobs and JSON: never to be sniffed into anything a browser runs.
        response.headers[.xContentTypeOptions] = "nosniff"
        if let namespace { response.headers[.ociNamespace] = namespace }
        return response
    }

    private func resolve(_ name: String, request: Request, context: FerryRequestContext, namespace: String?) throws(OCIError) -> ResolvedRepository {
        // HTTP/1 servers move `Host` into `authority`; a `Host` field left in the headers wins.
        let host = request.headers[HTTPField.Name("Host")!] ?? request.head.authority
        let target = try directory.resolve(name: name, host: host, namespace: namespace)
        context.log.upstream = target.upstream.configuration.registry
        context.log.repository = target.repository.value
        return target
    }

    // MARK: - Manifests

    private func manifest(_ reference: Reference, target: ResolvedRepository, request: Request, context: FerryRequestContext) async throws -> Response {
        let accepted = MediaType.parseAccept(request.headers[values: .accept])
        if request.method == .head, context.manifestHeadFetch != .paid {
            // A HEAD is answered from the cache or an upstream HEAD; one that needs an
            // upstream GET counts as a pull where pulls are counted.
            if let head = try await manifests.manifestHead(reference, repository: target.repository, upstream: target.upstream, accepted: accepted, logger: context.logger) {
                context.log.source = head.source
                return Response(status: .ok, headers: Self.manifestHeaders(digest: head.digest, mediaType: head.mediaType, size: head.size))
            }
            if context.manifestHeadFetch == .needsPull { throw ManifestHeadNeedsPull() }
        }
        let answer = try await manifests.manifest(reference, repository: target.repository, upstream: target.upstream, accepted: accepted, logger: context.logger)
        context.log.source = answer.source
        let manifest = answer.manifest
        let headers = Self.manifestHeaders(digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.count)
        if request.method == .head {
            return Response(status: .ok, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: manifest.bytes)))
    }

    /// A manifest answer's headers. Only the manifest media types Ferry mirrors are
    /// sent as such; anything else an upstream claims (`text/html`) goes out as
    /// `application/octet-stream`, so a hostile upstream cannot serve a page.
    static func manifestHeaders(digest: Digest, mediaType: String, size: Int) -> HTTPFields {
        var headers = HTTPFields()
        headers[.contentType] = MediaType.allManifestTypes.contains(mediaType) ? mediaType : "application/octet-stream"
        headers[.contentLength] = String(size)
        headers[.dockerContentDigest] = digest.description
        headers[.eTag] = "\"\(digest)\""
        return headers
    }

    // MARK: - Blobs

    private func blob(_ digest: Digest, target: ResolvedRepository, request: Request, context: FerryRequestContext) async throws -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/octet-stream"
        headers[.dockerContentDigest] = digest.description
        headers[.eTag] = "\"\(digest)\""
        headers[.acceptRanges] = "bytes"
        headers[.cacheControl] = "max-age=31536000"
        if request.method == .head {
            let (size, source) = try await blobs.blobSize(digest, repository: target.repository, upstream: target.upstream)
            context.log.source = source
            guard let size else {
                // Unknown even to the upstream: say nothing rather than "0 bytes".
                return Response(status: .ok, headers: headers, body: ResponseBody(contentLength: nil) { writer in try await writer.finish(nil) })
            }
            headers[.contentLength] = String(size)
            return Response(status: .ok, headers: headers)
        }
        let range = try request.headers[.range].flatMap { header throws(OCIError) in try ByteRange.parse(header) }
        if range == nil, let redirect, let target = await redirect(digest) {
            // The store serves the bytes; they are metered here, at the blob's size.
            context.log.source = .redirected
            context.log.redirectedBytes = target.size
            headers[.location] = target.location
            headers[.contentLength] = "0"
            headers[.cacheControl] = "no-store"
            return Response(status: .temporaryRedirect, headers: headers)
        }
        let answer = try await blobs.blob(digest, repository: target.repository, upstream: target.upstream, range: range)
        context.log.source = answer.source
        var status = HTTPResponse.Status.ok
        if let span = answer.range, let size = answer.size {
            status = .partialContent
            headers[.contentRange] = "bytes \(span.lowerBound)-\(span.upperBound)/\(size)"
        }
        let body = answer.body
        let length = answer.contentLength.map { Int($0) }
        if let length { headers[.contentLength] = String(length) }
        if let file = answer.cachedFile, let length, let handoff = await context.channel.fileRegionHandoff() {
            context.log.zeroCopy = true
            let start = answer.range?.lowerBound ?? 0
            return Response(status: status, headers: headers, body: ResponseBody(contentLength: length) { writer in
                defer { withExtendedLifetime(body) {} }  // the body holds the eviction lease
                var offset = start
                let end = start + Int64(length)
                while offset < end {
                    let count = Int(min(Int64(Self.fileRegionSize), end - offset))
                    try await writeFileRegion(to: &writer, marker: try handoff.register(file, offset: offset, length: count), length: count)
                    offset += Int64(count)
                }
                try await writer.finish(nil)
            })
        }
        return Response(status: status, headers: headers, body: ResponseBody(contentLength: length) { writer in
            for try await chunk in body {
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        })
    }

    /// Bytes handed to `sendfile(2)` per write: large enough to keep the socket busy,
    /// small enough that metering follows the transfer closely.
    static let fileRegionSize = 4 << 20

    // MARK: - Tags

    private func tags(_ clientName: String, target: ResolvedRepository, request: Request) async throws -> Response {
        let query = request.uri.queryParameters
        let count = try query["n"].map { text throws(OCIError) -> Int in
            guard let count = Int(text), count >= 0 else { throw OCIError(.unsupported, "n must be a non-negative integer") }
            return count
        }
        let list = try await manifests.tags(target.repository, upstream: target.upstream, count: count, last: query["last"].map(String.init))
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        if let link = list.link {
            // The upstream's next-page link names its own path; point it at ours.
            headers[.link] = link.replacingOccurrences(of: "/v2/\(target.repository.value)/tags/list", with: "/v2/\(clientName)/tags/list")
        }
        let body = Self.renamedTagList(list.body, to: clientName)
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// Replaces the upstream's repository name in a tag list with the one the client used.
    static func renamedTagList(_ body: [UInt8], to name: String) -> [UInt8] {
        struct TagList: Codable {
            var name: String
            var tags: [String]?
        }
        guard var list = try? JSONDecoder().decode(TagList.self, from: Data(body)) else { return body }
        list.name = name
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(list)).map(Array.init) ?? body
    }
}

/// A manifest HEAD that only an upstream GET can answer, in a request where pulls are
/// counted (`FerryRequestContext.manifestHeadFetch`): the billing middleware counts it
/// as a pull and asks again.
struct ManifestHeadNeedsPull: Error {}

extension HTTPField.Name {
    static let xContentTypeOptions = Self("X-Content-Type-Options")!
}
