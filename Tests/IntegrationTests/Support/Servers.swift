import AsyncHTTPClient
import Cache
import Foundation
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

import FerryServer
import FerryTestSupport

#if canImport(Glibc)
import Glibc
#endif

let quietLogger = Logger(label: "ferry-integration", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs an application on a loopback port for the duration of `body`, passing the port.
func withServer<App: ApplicationProtocol, T: Sendable>(
    _ makeApp: (@escaping @Sendable (any Channel) async -> Void) async throws -> App,
    _ body: (Int) async throws -> T
) async throws -> T {
    let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
    let app = try await makeApp { channel in
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

/// Runs Ferry in `open` mode with the given upstreams: `buildApplication` over
/// `Dependencies.live`, configured through the keys an operator would set.
func withFerry<T: Sendable>(
    upstreams: [UpstreamConfiguration],
    defaultID: String,
    revalidation: TimeInterval = 300,
    dataDirectory: String = NSTemporaryDirectory() + "ferry-it-\(UUID().uuidString)",
    cacheBudget: Int64? = nil,
    _ body: (FerryInstance) async throws -> T
) async throws -> T {
    var values = upstreamKeys(upstreams, defaultID: defaultID)
    values["data-dir"] = dataDirectory
    values["cache.tag-revalidation"] = "\(Int(revalidation))s"
    values["upstream-timeout.connect"] = "2s"
    values["upstream-timeout.response"] = "5s"
    if let cacheBudget { values["cache.max-size"] = "\(cacheBudget)B" }
    let configuration = try await testConfiguration(values)
    let dependencies = try await Dependencies.live(configuration, logger: quietLogger)
    return try await withServer({ onRunning in
        try await buildApplication(configuration, dependencies, logger: quietLogger, onServerRunning: onRunning)
    }) { port in
        try await body(FerryInstance(port: port, dataDirectory: dataDirectory, evictor: dependencies.cache.evictor))
    }
}

/// The configuration keys naming `upstreams`, as a config file would.
func upstreamKeys(_ upstreams: [UpstreamConfiguration], defaultID: String) -> [String: String] {
    var values = ["upstreams": upstreams.map(\.id).joined(separator: ","), "default-upstream": defaultID]
    for upstream in upstreams {
        let key = "upstream.\(upstream.id)"
        values["\(key).registry"] = upstream.registry
        values["\(key).url"] = upstream.url.absoluteString
        values["\(key).library"] = String(upstream.usesLibraryNamespace)
        if !upstream.aliases.isEmpty { values["\(key).aliases"] = upstream.aliases.joined(separator: ",") }
        if !upstream.hosts.isEmpty { values["\(key).hosts"] = upstream.hosts.joined(separator: ",") }
        if !upstream.trustedRealmHosts.isEmpty { values["\(key).trusted-realms"] = upstream.trustedRealmHosts.joined(separator: ",") }
        if let credentials = upstream.credentials {
            values["\(key).username"] = credentials.username
            values["\(key).password"] = credentials.password
        }
    }
    return values
}

/// An upstream description pointing at a test registry.
func testUpstream(
    id: String, registry: String, url: String, hosts: [String] = [], library: Bool = false,
    credentials: UpstreamConfiguration.Credentials? = nil, trustedRealms: [String] = []
) -> UpstreamConfiguration {
    UpstreamConfiguration(id: id, registry: registry, url: URL(string: url)!, hosts: hosts, usesLibraryNamespace: library, credentials: credentials, trustedRealmHosts: trustedRealms)
}
