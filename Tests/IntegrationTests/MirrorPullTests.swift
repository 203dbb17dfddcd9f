import AsyncHTTPClient
import Cache
import Crypto
import Foundation
import NIOCore
import Testing

/// Pulls through an in-process Ferry from a real CNCF registry (via a counting proxy),
/// with real skopeo.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct MirrorPullTests {
    /// Ferry with two upstreams over the same test registry: `hub` (default, Docker-Hub
    /// style `library/` names) and `local` (registry name `registry.test`, also selected
    /// by the host name `localhost`).
    func withMirror<T: Sendable>(revalidation: TimeInterval = 300, proxyPort: Int = 0, _ body: (UpstreamProxy, FerryInstance) async throws -> T) async throws -> T {
        let environment = try TestEnvironment.require()
        let proxy = UpstreamProxy(target: environment.upstream)
        return try await proxy.run(port: proxyPort) { port in
            let url = "http://127.0.0.1:\(port)"
            return try await withFerry(
                upstreams: [
                    testUpstream(id: "hub", registry: "hub.test", url: url, library: true),
                    testUpstream(id: "local", registry: "registry.test", url: url, hosts: ["localhost"]),
                ],
                defaultID: "hub",
                revalidation: revalidation
            ) { ferry in try await body(proxy, ferry) }
        }
    }

    @Test func singleArchImageThroughPathPrefixHostAndDefaultRouting() async throws {
        let environment = try TestEnvironment.require()
        let expected = try environment.layoutManifestDigest("small")
        try await withMirror { proxy, ferry in
            for reference in [
                "\(ferry.address)/registry.test/ferry/small:v1",   // path prefix
                "localhost:\(ferry.port)/ferry/small:v1",          // Host header
                "\(ferry.address)/small:v1",                       // default upstream, library/small
            ] {
                let directory = temporaryDirectory("pull")
                let result = try await ProcessRunner.skopeoPull(reference, to: directory)
                #expect(result.succeeded, "skopeo \(reference): \(result.error)")
                let image = PulledImage(directory: directory)
                #expect(image.manifestDigest == expected, "\(reference)")
                #expect(image.blobsVerify, "\(reference)")
            }
            #expect(proxy.requests.contains { $0.hasPrefix("GET /v2/library/small/manifests/") })
        }
    }

    @Test func containerdNamespaceParameterIsRoutedAndEchoed() async throws {
        let environment = try TestEnvironment.require()
        let layers = try environment.layoutLayers("small")
        try await withMirror { proxy, ferry in
            var request = HTTPClientRequest(url: "\(ferry.url)/v2/ferry/small/manifests/v1?ns=registry.test")
            request.headers.add(name: "Accept", value: "application/vnd.oci.image.manifest.v1+json")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
            let body = try await response.body.collect(upTo: 1 << 20)
            #expect(response.status == .ok, "\(String(buffer: body)) \(proxy.requests)")
            #expect(response.headers.first(name: "OCI-Namespace") == "registry.test")
            #expect("sha256:" + sha256Hex(Data(body.readableBytesView)) == (try environment.layoutManifestDigest("small")))

            let blob = try await HTTPClient.shared.execute(HTTPClientRequest(url: "\(ferry.url)/v2/ferry/small/blobs/\(layers[1].digest)?ns=registry.test"), timeout: .seconds(30))
            #expect(blob.status == .ok)
            let bytes = try await blob.body.collect(upTo: 8 << 20)
            #expect("sha256:" + sha256Hex(Data(bytes.readableBytesView)) == layers[1].digest)
        }
    }

    @Test func multiArchIndexAndDockerSchema2StayByteIdentical() async throws {
        let environment = try TestEnvironment.require()
        try await withMirror { _, ferry in
            let multi = temporaryDirectory("multi")
            let result = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/multi:v1", to: multi, all: true)
            #expect(result.succeeded, "\(result.error)")
            let image = PulledImage(directory: multi)
            #expect(image.manifestDigest == (try environment.layoutManifestDigest("multi")))
            #expect(image.files.filter { $0.hasSuffix(".manifest.json") }.count == 2)
            #expect(image.blobsVerify)

            // The registry converted this copy to Docker schema 2 on push; Ferry must
            // serve exactly the registry's bytes.
            var head = HTTPClientRequest(url: "\(environment.upstream.absoluteString)/v2/ferry/small-docker/manifests/v1")
            head.method = .HEAD
            head.headers.add(name: "Accept", value: "application/vnd.docker.distribution.manifest.v2+json")
            let upstreamDigest = try await HTTPClient.shared.execute(head, timeout: .seconds(10)).headers.first(name: "Docker-Content-Digest")
            let docker = temporaryDirectory("docker")
            let dockerResult = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/small-docker:v1", to: docker)
            #expect(dockerResult.succeeded, "\(dockerResult.error)")
            let pulled = PulledImage(directory: docker)
            #expect(pulled.manifestDigest == upstreamDigest)
            #expect(String(decoding: pulled.manifest, as: UTF8.self).contains("application/vnd.docker.distribution.manifest.v2+json"))
        }
    }

    @Test func warmPullMakesNoUpstreamRequests() async throws {
        try await withMirror { proxy, ferry in
            let first = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/small:v1", to: temporaryDirectory("cold"))
            #expect(first.succeeded, "\(first.error)")
            #expect(proxy.allBlobGets == 3)
            proxy.resetRequests()
            let second = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/small:v1", to: temporaryDirectory("warm"))
            #expect(second.succeeded, "\(second.error)")
            #expect(proxy.requests == [], "warm pull asked upstream: \(proxy.requests)")
        }
    }

    @Test func sixteenConcurrentColdGetsMakeOneUpstreamGet() async throws {
        let environment = try TestEnvironment.require()
        let layer = try #require(try environment.layoutLayers("big").first)
        try await withMirror { proxy, ferry in
            let digests = try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<16 {
                    group.addTask {
                        let response = try await HTTPClient.shared.execute(
                            HTTPClientRequest(url: "\(ferry.url)/v2/registry.test/ferry/big/blobs/\(layer.digest)"), timeout: .seconds(180)
                        )
                        #expect(response.status == .ok)
                        #expect(response.headers.first(name: "Content-Length") == String(layer.size))
                        var hasher = SHA256()
                        for try await chunk in response.body {
                            chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
                        }
                        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
                    }
                }
                var digests: [String] = []
                for try await digest in group { digests.append(digest) }
                return digests
            }
            #expect(digests.count == 16)
            #expect(digests.allSatisfy { $0 == layer.digest })
            #expect(proxy.blobGets(layer.digest) == 1)
        }
    }

    @Test func cachedTagsStillPullWhenTheUpstreamIsStopped() async throws {
        let proxyPort = reserveFreePort()
        let environment = try TestEnvironment.require()
        let url = "http://127.0.0.1:\(proxyPort)"
        try await withFerry(
            upstreams: [testUpstream(id: "local", registry: "registry.test", url: url)],
            defaultID: "local",
            revalidation: 0
        ) { ferry in
            let proxy = UpstreamProxy(target: environment.upstream)
            try await proxy.run(port: proxyPort) { _ in
                let warm = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/small:v1", to: temporaryDirectory("warm"))
                #expect(warm.succeeded, "\(warm.error)")
            }
            // The upstream is gone (connection refused); every tag must be revalidated (interval 0).
            let stale = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/small:v1", to: temporaryDirectory("stale"))
            #expect(stale.succeeded, "\(stale.error)")
            let uncached = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/multi:v1", to: temporaryDirectory("uncached"))
            #expect(!uncached.succeeded)
        }
    }

    @Test func corruptedUpstreamBlobIsNeverCached() async throws {
        let environment = try TestEnvironment.require()
        let layer = try environment.layoutLayers("small")[1]
        try await withMirror { proxy, ferry in
            proxy.corrupt(layer.digest)
            let bad = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/small:v1", to: temporaryDirectory("bad"))
            #expect(!bad.succeeded)
            let hex = layer.digest.dropFirst("sha256:".count)
            let cachedPath = "\(ferry.dataDirectory)/blobs/sha256/\(hex.prefix(2))/\(hex)"
            #expect(!FileManager.default.fileExists(atPath: cachedPath))
            #expect(try FileManager.default.contentsOfDirectory(atPath: ferry.dataDirectory + "/tmp").filter { $0.hasSuffix(".partial") }.isEmpty)

            proxy.corrupt(nil)
            let good = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/small:v1", to: temporaryDirectory("good"))
            #expect(good.succeeded, "\(good.error)")
            #expect(FileManager.default.fileExists(atPath: cachedPath))
        }
    }

    @Test func unknownImagesAndPushesAreRefusedByRealClients() async throws {
        try await withMirror { _, ferry in
            let missing = try await ProcessRunner.skopeoPull("\(ferry.address)/registry.test/ferry/nope:v1", to: temporaryDirectory("missing"))
            #expect(!missing.succeeded)
            let environment = try TestEnvironment.require()
            let push = try await ProcessRunner.run("/usr/bin/skopeo", [
                "copy", "--quiet", "--dest-tls-verify=false", "oci:\(environment.images)/small:v1", "docker://\(ferry.address)/registry.test/ferry/pushed:v1",
            ])
            #expect(!push.succeeded)
        }
    }

    @Test func hostileRequestsGetErrorsAndTheServerKeepsServing() async throws {
        try await withMirror { _, ferry in
            func curl(_ arguments: [String]) async throws -> String {
                let result = try await ProcessRunner.run("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--path-as-is"] + arguments)
                return result.output
            }
            let headerFile = temporaryDirectory("header")
            try "X-Huge: \(String(repeating: "a", count: 200_000))\n".write(toFile: headerFile, atomically: true, encoding: .utf8)
            let headerStatus = try await curl(["-H", "@\(headerFile)", "\(ferry.url)/v2/"])
            #expect(headerStatus != "200", "a 200 KB header must be refused")
            #expect(try await curl(["\(ferry.url)/v2/../../etc/passwd"]) == "404")
            #expect(try await curl(["\(ferry.url)/v2/a/../../../etc/passwd/manifests/latest"]) == "400")
            #expect(try await curl(["\(ferry.url)/v2/ferry%2Fsmall/manifests/v1"]) == "400")
            #expect(try await curl(["\(ferry.url)/v2/\(String(repeating: "a/", count: 3000))x/manifests/v1"]) == "400")
            #expect(try await curl(["\(ferry.url)/v2/ferry/small/blobs/sha256:../../../etc/passwd"]) == "400")
            #expect(try await curl(["-X", "PUT", "\(ferry.url)/v2/ferry/small/manifests/v1"]) == "405")
            #expect(try await curl(["\(ferry.url)/v2/"]) == "200")
            let files = try FileManager.default.subpathsOfDirectory(atPath: ferry.dataDirectory)
            #expect(!files.contains { $0.contains("passwd") || $0.contains("..") })
        }
    }

    @Test func diskUseStaysUnderTheBudgetAndEvictedImagesStillPull() async throws {
        let environment = try TestEnvironment.require()
        let proxy = UpstreamProxy(target: environment.upstream)
        let budget: Int64 = 2 << 20
        try await proxy.run { proxyPort in
            try await withFerry(
                upstreams: [testUpstream(id: "local", registry: "registry.test", url: "http://127.0.0.1:\(proxyPort)")],
                defaultID: "local",
                cacheBudget: budget
            ) { ferry in
                let evictor = try #require(ferry.evictor)
                for image in ["small:v1", "multi:v1", "small-docker:v1", "small:v2"] {
                    let result = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/\(image)", to: temporaryDirectory("budget"), all: true)
                    #expect(result.succeeded, "\(image): \(result.error)")
                    #expect(evictor.inventory.totalBytes <= budget, "\(image): cache at \(evictor.inventory.totalBytes) bytes")
                    let onDisk = try FileManager.default.subpathsOfDirectory(atPath: ferry.dataDirectory + "/blobs").reduce(Int64(0)) { total, path in
                        let attributes = try? FileManager.default.attributesOfItem(atPath: ferry.dataDirectory + "/blobs/" + path)
                        return total + ((attributes?[.type] as? FileAttributeType) == .typeRegular ? (attributes?[.size] as? NSNumber)?.int64Value ?? 0 : 0)
                    }
                    #expect(onDisk <= budget, "\(image): \(onDisk) bytes of blobs on disk")
                }
                // Everything evicted: the image still pulls, its blobs fetched again.
                await evictor.evict(to: 0)
                proxy.resetRequests()
                let again = try await ProcessRunner.skopeoPull("\(ferry.address)/ferry/small:v1", to: temporaryDirectory("evicted"))
                #expect(again.succeeded, "\(again.error)")
                #expect(proxy.allBlobGets == 3)
            }
        }
    }
}
