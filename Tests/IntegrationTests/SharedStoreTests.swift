import AsyncHTTPClient
import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The shared store (issue 19) with real parts: `ferry serve` processes over one
/// PostgreSQL database and one bucket on the radosgw the test script starts, the CNCF
/// registry as the upstream behind a counting proxy. Each test keeps its blobs under a
/// prefix of its own.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct SharedStoreTests {
    let environment: TestEnvironment
    let store: SharedStoreEnvironment

    init() throws {
        environment = try TestEnvironment.require()
        store = try SharedStoreEnvironment.require()
    }

    /// A replica on the shared store, with an empty disk of its own.
    func replica(upstream: String, prefix: String, database: String, endpoint: URL? = nil, extra: [String: String] = [:]) async throws -> (Process, Int) {
        let port = reserveFreePort()
        let process = try await FerryProcess.serve(
            port: port, dataDirectory: temporaryDirectory("shared-replica"), upstream: upstream,
            environment: store.serverEnvironment(prefix: prefix, databaseURL: database, endpoint: endpoint).merging(extra) { $1 }
        )
        return (process, port)
    }

    func blobURL(_ port: Int, _ repository: String, _ digest: String) -> String {
        "http://127.0.0.1:\(port)/v2/\(repository)/blobs/\(digest)"
    }

    /// The value of an unlabelled or labelled counter in a server's `/metrics`.
    func metric(_ port: Int, _ series: String) async throws -> Double {
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/metrics"), timeout: .seconds(10))
        let text = String(buffer: try await response.body.collect(upTo: 4 << 20))
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).trimmingCharacters(in: .whitespaces)) ?? -1
        }
        return 0
    }

    /// Every layer of the test images, with the repository that holds it.
    func imageLayers() throws -> [(repository: String, digest: String, size: Int)] {
        try ["small", "big"].flatMap { image in try environment.layoutLayers(image).map { ("ferry/\(image)", $0.digest, $0.size) } }
    }

    @Test func aBlobFilledByOneReplicaIsServedByTheOthersFromTheBucket() async throws {
        let database = try await environment.makeDatabase()
        let prefix = SharedStoreEnvironment.uniquePrefix("replicas")
        let layers = try imageLayers()
        let proxy = UpstreamProxy(target: environment.upstream)
        try await proxy.run { proxyPort in
            let upstream = "http://127.0.0.1:\(proxyPort)"
            let (a, portA) = try await replica(upstream: upstream, prefix: prefix, database: database)
            defer { kill(a.processIdentifier, SIGKILL) }
            for layer in layers {
                let fetched = try await fetchDigest(blobURL(portA, layer.repository, layer.digest))
                #expect(fetched.status == 200 && fetched.digest == layer.digest)
            }
            #expect(proxy.allBlobGets == layers.count)
            try await waitUntil("replica A's fills are in the index") {
                Set(try await sharedBlobRows(database).keys) == Set(layers.map(\.digest))
            }
            let objects = try await store.objects(under: prefix)
            #expect(objects.count == layers.count, "one object per blob, nothing else")

            // Replica B, with an empty disk, reads every blob from the bucket.
            proxy.resetRequests()
            let (b, portB) = try await replica(upstream: upstream, prefix: prefix, database: database)
            defer { kill(b.processIdentifier, SIGKILL) }
            for layer in layers {
                let fetched = try await fetchDigest(blobURL(portB, layer.repository, layer.digest))
                #expect(fetched.status == 200 && fetched.digest == layer.digest && fetched.bytes == layer.size)
            }
            #expect(proxy.allBlobGets == 0, "replica B went upstream: \(proxy.requests)")
            #expect(try await metric(portB, "ferry_blob_responses_total{source=\"shared\"}") == Double(layers.count))

            // A range of a shared blob B has not kept yet is read from the bucket too.
            let big = try #require(layers.last)
            let (c, portC) = try await replica(upstream: upstream, prefix: prefix, database: database)
            defer { kill(c.processIdentifier, SIGKILL) }
            let ranged = try await fetchDigest(blobURL(portC, big.repository, big.digest), headers: [("Range", "bytes=100-1123")])
            #expect(ranged.status == 206 && ranged.bytes == 1024)

            // A fourth replica joining later serves the whole image set warm: 0 upstream blob GETs.
            let (d, portD) = try await replica(upstream: upstream, prefix: prefix, database: database)
            defer { kill(d.processIdentifier, SIGKILL) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for layer in layers {
                    group.addTask {
                        let fetched = try await fetchDigest(blobURL(portD, layer.repository, layer.digest))
                        #expect(fetched.status == 200 && fetched.digest == layer.digest)
                    }
                }
                try await group.waitForAll()
            }
            #expect(proxy.allBlobGets == 0, "a joining replica went upstream: \(proxy.requests)")
        }
    }

    /// Twenty blobs of 6-10 MiB filled concurrently through a slow upstream, the replica
    /// killed with SIGKILL at a different moment in each of five rounds (100 fills): no
    /// object in the bucket ever differs from its digest, the index names only objects
    /// that exist, and the sweep leaves no upload behind.
    @Test func killedFillsLeaveNoUnverifiedObjectAndTheSweepAbortsTheirUploads() async throws {
        let random = try #require(FileHandle(forReadingAtPath: "/dev/urandom"))
        defer { try? random.close() }
        var blobs: [String] = []
        for _ in 0..<20 {
            let bytes = [UInt8](random.readData(ofLength: Int.random(in: (6 << 20)...(10 << 20))))
            blobs.append(try await pushBlob(bytes, repository: "ferry/random", registry: environment.upstream))
        }
        let proxy = UpstreamProxy(target: environment.upstream)
        proxy.throttle(bytesPerSecond: 3 << 20)
        var orphansBeforeSweep = 0
        var completedFills = 0
        try await proxy.run { proxyPort in
            for killAfter in [1.0, 2.0, 3.0, 4.5, 7.0] {
                let database = try await environment.makeDatabase()
                let prefix = SharedStoreEnvironment.uniquePrefix("kill")
                let dataDirectory = temporaryDirectory("shared-kill")
                let port = reserveFreePort()
                let serve = try await FerryProcess.serve(
                    port: port, dataDirectory: dataDirectory, upstream: "http://127.0.0.1:\(proxyPort)",
                    environment: store.serverEnvironment(prefix: prefix, databaseURL: database)
                )
                defer { if serve.isRunning { kill(serve.processIdentifier, SIGKILL) } }
                let urls = blobs.map { blobURL(port, "ferry/random", $0) }
                let clients = Task {
                    await withTaskGroup(of: Void.self) { group in
                        for url in urls {
                            group.addTask { _ = try? await fetchDigest(url) }
                        }
                    }
                }
                try await Task.sleep(for: .seconds(killAfter))
                kill(serve.processIdentifier, SIGKILL)
                await serve.exit()
                clients.cancel()  // the clients' answers do not matter here, only the bucket
                await clients.value

                let objects = try await store.objects(under: prefix)
                for object in objects {
                    let named = "sha256:" + (object.key.split(separator: "/").last.map(String.init) ?? "")
                    #expect(try await store.digest(ofObject: object.key) == named, "object \(object.key) does not match its digest (round \(killAfter) s)")
                }
                let rows = try await sharedBlobRows(database)
                let keys = Set(objects.map { "sha256:" + ($0.key.split(separator: "/").last.map(String.init) ?? "") })
                #expect(Set(rows.keys).isSubset(of: keys), "the index names a blob the bucket does not hold")
                let orphans = try await store.uploads(under: prefix).count
                print("shared store, SIGKILL after \(killAfter) s: \(rows.count) of 20 fills complete and verified, \(objects.count) objects, \(orphans) uploads left")
                completedFills += rows.count
                orphansBeforeSweep += orphans

                // The sweep (as the maintenance service runs it, here from the CLI with a
                // one-second age) aborts what the killed fills left.
                try await Task.sleep(for: .seconds(1.5))
                let sweep = try await ProcessRunner.run(
                    CrashSafetyTests.binary, ["cache", "gc", "--to", "1TiB", "--data-dir", dataDirectory],
                    environment: store.serverEnvironment(prefix: prefix, databaseURL: database).merging(["FERRY_STORAGE_S3_ABANDONED_UPLOAD_AGE": "1s"]) { $1 }
                )
                #expect(sweep.succeeded, "\(sweep.error)")
                #expect(try await store.uploads(under: prefix).isEmpty, "uploads left after the sweep (round \(killAfter) s)")
                try await store.withClient { client in
                    for object in objects { try await client.deleteObject(key: object.key) }
                }
            }
        }
        #expect(orphansBeforeSweep > 0, "no kill interrupted an upload: the test proved nothing about the sweep")
        #expect(completedFills > 0 && completedFills < 100, "fills completed: \(completedFills) of 100")
    }

    /// The store unreachable (its relay stopped): local hits still serve, a miss is served
    /// from the upstream into the local cache only, and a replica whose index names a blob
    /// it cannot read goes to the upstream; errors are counted. Back up, fills are shared again.
    @Test func aStoreThatIsDownLeavesTheLocalCacheWorking() async throws {
        let database = try await environment.makeDatabase()
        let prefix = SharedStoreEnvironment.uniquePrefix("down")
        let layers = try imageLayers()
        try #require(layers.count >= 3)
        let storePort = try #require(store.endpoint.port)
        let relay = try await TCPRelay(targetPort: storePort)
        let relayed = URL(string: "http://127.0.0.1:\(relay.port)")!
        let proxy = UpstreamProxy(target: environment.upstream)
        try await proxy.run { proxyPort in
            let upstream = "http://127.0.0.1:\(proxyPort)"
            let (a, portA) = try await replica(upstream: upstream, prefix: prefix, database: database, endpoint: relayed)
            defer { kill(a.processIdentifier, SIGKILL) }
            let (first, second, third) = (layers[0], layers[1], layers[2])
            #expect(try await fetchDigest(blobURL(portA, first.repository, first.digest)).digest == first.digest)
            try await waitUntil("the first fill is shared") { try await sharedBlobRows(database)[first.digest] != nil }

            await relay.stop()
            let hit = try await fetchDigest(blobURL(portA, first.repository, first.digest))
            #expect(hit.status == 200 && hit.digest == first.digest, "a local hit needs no store")
            let miss = try await fetchDigest(blobURL(portA, second.repository, second.digest))
            #expect(miss.status == 200 && miss.digest == second.digest, "a miss is served from the upstream")

            // Replica B's index names the first blob, but the store is unreachable.
            proxy.resetRequests()
            let (b, portB) = try await replica(upstream: upstream, prefix: prefix, database: database, endpoint: relayed)
            defer { kill(b.processIdentifier, SIGKILL) }
            let fallback = try await fetchDigest(blobURL(portB, first.repository, first.digest))
            #expect(fallback.status == 200 && fallback.digest == first.digest)
            #expect(proxy.blobGets(first.digest) == 1, "the blob came from the upstream")
            #expect(try await metric(portA, "ferry_shared_store_errors_total") > 0)
            #expect(try await metric(portB, "ferry_shared_store_errors_total") > 0)
            #expect(try await sharedBlobRows(database)[second.digest] == nil, "nothing was recorded while the store was down")

            try await relay.start()
            #expect(try await fetchDigest(blobURL(portA, third.repository, third.digest)).digest == third.digest)
            try await waitUntil("fills are shared again once the store is back") { try await sharedBlobRows(database)[third.digest] != nil }
        }
        await relay.stop()
    }

    /// `storage.s3.redirect: full-body`: a whole-blob GET of a blob the bucket holds is a
    /// 307 to a presigned URL that works without credentials until it expires, metered at
    /// the blob's size when issued; a Range is still served by Ferry.
    @Test func fullBodyRedirectsArePresignedShortLivedAndMeteredWhenIssued() async throws {
        let prefix = SharedStoreEnvironment.uniquePrefix("redirect")
        var keys = store.configurationKeys(prefix: prefix)
        keys["storage.s3.redirect"] = "full-body"
        keys["storage.s3.redirect-lifetime"] = "2s"
        let layer = try #require(try environment.layoutLayers("big").first)
        try await withSubscriberFerry(billing: true, configuration: keys) { subscriber in
            let alice = try await subscriber.addSubscriber("alice", plan: "pro")
            let token = try await subscriber.bearerToken("alice", repositories: ["ferry/big"])
            let path = "/v2/ferry/big/blobs/\(layer.digest)"
            // The first GET fills the bucket (a redirect needs the verified object).
            let (filled, received) = try await subscriber.send(.GET, path, token: token)
            #expect(filled.status == .ok && received == layer.size)
            try await waitUntil("the fill is shared") { try await sharedBlobRows(subscriber.databaseURL)[layer.digest] != nil }
            try await subscriber.meter!.flush()
            let before = try await subscriber.psql("SELECT SUM(bytes_served) FROM usage_daily WHERE user_id = \(alice.id)")

            // A client that does not follow redirects, to see the 307 itself.
            let client = HTTPClient(eventLoopGroup: .singletonMultiThreadedEventLoopGroup, configuration: .init(redirectConfiguration: .disallow))
            var request = HTTPClientRequest(url: "\(subscriber.ferry.url)\(path)")
            request.headers.add(name: "Authorization", value: "Bearer \(token)")
            let redirected: HTTPClientResponse
            do {
                redirected = try await client.execute(request, timeout: .seconds(30))
                _ = try await redirected.body.collect(upTo: 1 << 20)
                try await client.shutdown()
            } catch {
                try? await client.shutdown()
                throw error
            }
            #expect(redirected.status == .temporaryRedirect)
            #expect(redirected.headers.first(name: "Cache-Control") == "no-store")
            let location = try #require(redirected.headers.first(name: "Location"))
            #expect(location.hasPrefix(store.endpoint.absoluteString), "the redirect goes to the bucket: \(location)")
            let followed = try await fetchDigest(location)
            #expect(followed.status == 200 && followed.digest == layer.digest, "the presigned URL needs no credentials")
            try await subscriber.meter!.flush()
            let after = try await subscriber.psql("SELECT SUM(bytes_served) FROM usage_daily WHERE user_id = \(alice.id)")
            #expect((Int64(after) ?? 0) - (Int64(before) ?? 0) == Int64(layer.size), "the redirect is metered at the blob's size")

            let (ranged, rangedBytes) = try await subscriber.send(.GET, path, token: token, headers: [("Range", "bytes=0-99")])
            #expect(ranged.status == .partialContent && rangedBytes == 100, "a Range is served by Ferry")

            try await Task.sleep(for: .seconds(3))
            #expect(try await fetchDigest(location).status == 403, "the presigned URL expired")
        }
    }
}
