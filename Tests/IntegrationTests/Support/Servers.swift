import AsyncHTTPClient
import Cache
import Foundation
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

@testable import ferry

#if canImport(Glibc)
import Glibc
#endif

let quietLogger = Logger(label: "ferry-integration", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs an application on a loopback port for the duration of `body`, passing the port.
func withServer<App: ApplicationProtocol, T: Sendable>(
    _ makeApp: (@escaping @Sendable (any Channel) async -> Void) -> App,
    _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let app = makeApp { channel in
        portSink.yield(channel.localAddress?.port ?? 0)
        portSink.finish()
    }
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
            defer { portSink.finish() }
            try await app.runService(gracefulShutdownSignals: [])
        }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else {
            try await group.next()
            throw ServerDidNotStart()
        }
        do {
            let result = try await body(port)
            group.cancelAll()
            return result
        } catch {
            group.cancelAll()
            throw error
        }
    }
}

struct ServerDidNotStart: Error {}

/// A loopback port that was free a moment ago.
func reserveFreePort() -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            _ = bind(descriptor, socketAddress, length)
            _ = getsockname(descriptor, socketAddress, &length)
        }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A Ferry gateway running in this process against real upstreams.
struct FerryInstance: Sendable {
    let port: Int
    let dataDirectory: String
    var evictor: CacheEvictor? = nil
    var address: String { "127.0.0.1:\(port)" }
    var url: String { "http://127.0.0.1:\(port)" }
}

/// Runs Ferry (the same wiring as `ferry serve`) with the given upstreams.
func withFerry<T: Sendable>(
    upstreams: [UpstreamConfiguration],
    defaultID: String,
    revalidation: TimeInterval = 300,
    dataDirectory: String = NSTemporaryDirectory() + "ferry-it-\(UUID().uuidString)",
    cacheBudget: Int64? = nil,
    _ body: (FerryInstance) async throws -> T
) async throws -> T {
    // The same upstream client `ferry serve` builds (connection pool included).
    let client = ServeCommand.makeUpstreamClient(connectTimeout: .seconds(2), readTimeout: .seconds(30))
    do {
        let store = try FileSystemBlobStore(root: dataDirectory)
        let inventory = try CacheInventory.open(root: dataDirectory, logger: quietLogger)
        let manifestStore = try FileSystemManifestStore(root: dataDirectory, inventory: inventory)
        let evictor = cacheBudget.map { budget in
            CacheEvictor(inventory: inventory, manifests: manifestStore, budget: budget, lowWaterFraction: 0.9, logger: quietLogger)
        }
        let result = try await withServer({ onRunning in
            let resolved = upstreams.map { RegistryUpstream(configuration: $0, client: client, responseTimeout: .seconds(5), logger: quietLogger) as any Upstream }
            let controller = RegistryController(
                directory: try! UpstreamDirectory(upstreams: resolved, defaultID: defaultID),
                manifests: PullThroughManifestCache(store: manifestStore, revalidationInterval: revalidation, logger: quietLogger),
                blobs: PullThroughBlobCache(store: store, logger: quietLogger, inventory: inventory, evictor: evictor)
            )
            return buildApplication(
                configuration: GatewayConfiguration(host: "127.0.0.1", port: 0, publicURL: URL(string: "http://127.0.0.1")!),
                controller: controller,
                access: .open,
                logger: quietLogger,
                onServerRunning: onRunning
            )
        }) { port in
            try await body(FerryInstance(port: port, dataDirectory: dataDirectory, evictor: evictor))
        }
        try await client.shutdown()
        return result
    } catch {
        try? await client.shutdown()
        throw error
    }
}

/// An upstream description pointing at a test registry.
func testUpstream(
    id: String, registry: String, url: String, hosts: [String] = [], library: Bool = false,
    credentials: UpstreamConfiguration.Credentials? = nil, trustedRealms: [String] = []
) -> UpstreamConfiguration {
    UpstreamConfiguration(id: id, registry: registry, url: URL(string: url)!, hosts: hosts, usesLibraryNamespace: library, credentials: credentials, trustedRealmHosts: trustedRealms)
}
