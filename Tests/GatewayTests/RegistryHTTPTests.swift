import Cache
import FerryServer
import FerryTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import OCI
import Testing

/// HTTP behaviour of the registry API through `buildApplication`, with an in-memory
/// upstream: statuses, headers, error JSON.
@Suite struct RegistryHTTPTests {
    let upstream = InMemoryUpstream(id: "docker", registry: "docker.io", hosts: ["docker.mirror.test"], usesLibraryNamespace: true)
    let quay = InMemoryUpstream(id: "quay", registry: "quay.io", hosts: ["quay.mirror.test"])
    let layer = seededBytes(count: 200_000, seed: 9)
    let layerDigest: OCI.Digest
    let manifest: [UInt8]
    let manifestDigest: OCI.Digest

    init() {
        layerDigest = upstream.addBlob(layer)
        manifest = Array(#"{"schemaVersion":2,"mediaType":"\#(MediaType.dockerManifest)","layers":[{"digest":"\#(layerDigest)"}]}"#.utf8)
        manifestDigest = upstream.addManifest(manifest, mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "latest")
        quay.addManifest(manifest, mediaType: MediaType.dockerManifest, repository: "coreos/etcd", tag: "v3.5")
    }

    func withApp(_ test: @escaping @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let configuration = try await testConfiguration(["public-url": "http://mirror.test"])
        let dependencies = try await Dependencies.inMemory(configuration, upstreams: [upstream, quay], logger: quietTestLogger)
        let app = try await buildApplication(configuration, dependencies, logger: quietTestLogger)
        try await app.test(.router) { client in try await test(client) }
    }

    /// The first error code of an OCI error body, or nil when the body is not one.
    static func errorCode(_ response: TestResponse) -> String? {
        let document = try? JSONDecoder().decode(OCIErrorResponse.self, from: Data(response.body.readableBytesView))
        return document?.errors.first?.code.rawValue
    }

    @Test func versionCheck() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2/", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Docker-Distribution-API-Version")!] == "registry/2.0")
                #expect(String(buffer: response.body) == "{}")
            }
            try await client.execute(uri: "/v2", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func manifestGetAndHeadCarryRegistryHeaders() async throws {
        try await withApp { client in
            let accept: HTTPFields = [.accept: MediaType.allManifestTypes.joined(separator: ", ")]
            for method in [HTTPRequest.Method.get, .head] {
                try await client.execute(uri: "/v2/nginx/manifests/latest", method: method, headers: accept) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == MediaType.dockerManifest)
                    #expect(response.headers[.contentLength] == String(manifest.count))
                    #expect(response.headers[HTTPField.Name("Docker-Content-Digest")!] == manifestDigest.description)
                    #expect(response.headers[.eTag] == "\"\(manifestDigest)\"")
                    #expect(Array(response.body.readableBytesView) == (method == .get ? manifest : []))
                }
            }
            try await client.execute(uri: "/v2/library/nginx/manifests/\(manifestDigest)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(Array(response.body.readableBytesView) == manifest)
            }
        }
    }

    @Test func blobGetHeadAndRanges() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2/nginx/blobs/\(layerDigest)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == String(layer.count))
                #expect(response.headers[HTTPField.Name("Docker-Content-Digest")!] == layerDigest.description)
                #expect(response.headers[.contentType] == "application/octet-stream")
                #expect(Array(response.body.readableBytesView) == layer)
            }
            try await client.execute(uri: "/v2/nginx/blobs/\(layerDigest)", method: .head) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentLength] == String(layer.count))
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v2/nginx/blobs/\(layerDigest)", method: .get, headers: [.range: "bytes=100-199"]) { response in
                #expect(response.status == .partialContent)
                #expect(response.headers[.contentRange] == "bytes 100-199/\(layer.count)")
                #expect(response.headers[.contentLength] == "100")
                #expect(Array(response.body.readableBytesView) == Array(layer[100...199]))
            }
            try await client.execute(uri: "/v2/nginx/blobs/\(layerDigest)", method: .get, headers: [.range: "bytes=999999-"]) { response in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(response.headers[.contentRange] == "bytes */\(layer.count)")
                #expect(Self.errorCode(response) == "RANGE_INVALID")
            }
            try await client.execute(uri: "/v2/nginx/blobs/\(layerDigest)", method: .get, headers: [.range: "bytes=oops"]) { response in
                #expect(response.status == .rangeNotSatisfiable)
                #expect(Self.errorCode(response) == "RANGE_INVALID")
            }
        }
        #expect(upstream.counts.blobGets == 1)
    }

    @Test func routingByHostPrefixAndNamespaceOnOneListener() async throws {
        try await withApp { client in
            try await client.execute(uri: "/v2/quay.io/coreos/etcd/manifests/v3.5", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/v2/coreos/etcd/manifests/v3.5", method: .get, headers: [HTTPField.Name("Host")!: "quay.mirror.test"]) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/v2/coreos/etcd/manifests/v3.5?ns=quay.io", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("OCI-Namespace")!] == "quay.io")
            }
        }
        #expect(quay.counts.manifestGets == 1)
    }

    @Test(arguments: [
        ("/v2/nginx/manifests/missing", HTTPResponse.Status.notFound, "MANIFEST_UNKNOWN"),
        ("/v2/nginx/blobs/sha256:" + String(repeating: "0", count: 64), .notFound, "BLOB_UNKNOWN"),
        ("/v2/nginx/blobs/md5:abc", .badRequest, "DIGEST_INVALID"),
        ("/v2/nginx/blobs/sha256:ABC", .badRequest, "DIGEST_INVALID"),
        ("/v2/Upper/manifests/latest", .badRequest, "NAME_INVALID"),
        ("/v2/a/../../etc/passwd/manifests/latest", .badRequest, "NAME_INVALID"),
        ("/v2/a%2Fb/manifests/latest", .badRequest, "NAME_INVALID"),
        ("/v2/" + String(repeating: "a", count: 300) + "/manifests/latest", .badRequest, "NAME_INVALID"),
        ("/v2/evil.example.com/x/manifests/latest", .notFound, "NAME_UNKNOWN"),
        ("/v2/_catalog", .methodNotAllowed, "UNSUPPORTED"),
        ("/v2/nginx/something", .notFound, "NAME_UNKNOWN"),
    ])
    func badRequestsGetOCIErrors(path: String, status: HTTPResponse.Status, code: String) async throws {
        try await withApp { client in
            try await client.execute(uri: path, method: .get) { response in
                #expect(response.status == status)
                #expect(response.headers[.contentType] == "application/json")
                #expect(Self.errorCode(response) == code)
            }
        }
    }

    @Test func pushAndDeleteAreUnsupported() async throws {
        try await withApp { client in
            for (method, path) in [
                (HTTPRequest.Method.post, "/v2/nginx/blobs/uploads/"),
                (.put, "/v2/nginx/manifests/latest"),
                (.patch, "/v2/nginx/blobs/uploads/abc"),
                (.delete, "/v2/nginx/manifests/\(manifestDigest)"),
            ] {
                try await client.execute(uri: path, method: method, body: ByteBuffer(string: "x")) { response in
                    #expect(response.status == .methodNotAllowed)
                    #expect(Self.errorCode(response) == "UNSUPPORTED")
                }
            }
        }
    }

    @Test func upstreamFailuresMapToOCIErrors() async throws {
        try await withApp { client in
            upstream.fail(with: .unreachable("refused"))
            try await client.execute(uri: "/v2/nginx/manifests/latest", method: .get) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(Self.errorCode(response) == "UNAVAILABLE")
            }
            upstream.fail(with: .rateLimited(retryAfter: 42))
            try await client.execute(uri: "/v2/nginx/manifests/other", method: .get) { response in
                #expect(response.status == .tooManyRequests)
                #expect(response.headers[.retryAfter] == "42")
                #expect(Self.errorCode(response) == "TOOMANYREQUESTS")
            }
        }
    }

    @Test func tagListIsPassedThroughWithTheClientsName() async throws {
        upstream.addManifest(manifest, mediaType: MediaType.dockerManifest, repository: "library/nginx", tag: "stable")
        try await withApp { client in
            try await client.execute(uri: "/v2/nginx/tags/list?n=1", method: .get) { response in
                #expect(response.status == .ok)
                let list = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: Any]
                #expect(list?["name"] as? String == "nginx")
                #expect(list?["tags"] as? [String] == ["latest"])
                #expect(response.headers[HTTPField.Name("Link")!] == "</v2/nginx/tags/list?n=1&last=latest>; rel=\"next\"")
            }
        }
    }
}
