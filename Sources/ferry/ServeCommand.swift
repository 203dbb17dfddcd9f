import ArgumentParser
import AsyncHTTPClient
import CMalloc
import Cache
import Foundation
import Gateway
import Hummingbird
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle

/// `ferry serve`: runs the mirror until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the mirror.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        Self.boundHeapGrowth()
        let configuration = try FerryConfiguration.load(from: try await options.values())
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = configuration.logLevel
            return handler
        }
        let logger = Logger(label: "ferry")
        configuration.log(to: logger)

        let blobStore: FileSystemBlobStore
        let manifestStore: FileSystemManifestStore
        do {
            blobStore = try FileSystemBlobStore(root: configuration.dataDirectory)
            manifestStore = try FileSystemManifestStore(root: configuration.dataDirectory)
            let removed = try blobStore.removeTemporaryFiles()
            if removed > 0 { logger.notice("removed leftover temporary files", metadata: ["count": "\(removed)"]) }
        } catch {
            throw ConfigurationError("data-dir \(configuration.dataDirectory): \(error)")
        }

        let httpClient = HTTPClient(
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton,
            configuration: .init(
                redirectConfiguration: .follow(max: 5, allowCycles: false),
                timeout: .init(connect: .init(configuration.connectTimeout), read: .init(configuration.readTimeout)),
                decompression: .disabled
            )
        )
        do {
            let upstreams: [any Upstream] = configuration.upstreams.map {
                RegistryUpstream(configuration: $0, client: httpClient, responseTimeout: configuration.responseTimeout, logger: logger)
            }
            let directory = try UpstreamDirectory(upstreams: upstreams, defaultID: configuration.defaultUpstream)
            let blobs = PullThroughBlobCache(store: blobStore, logger: logger)
            let manifests = PullThroughManifestCache(
                store: manifestStore,
                revalidationInterval: TimeInterval(configuration.tagRevalidation.components.seconds),
                logger: logger
            )
            let controller = RegistryController(directory: directory, manifests: manifests, blobs: blobs)
            let app = buildApplication(configuration: configuration.gateway, controller: controller, logger: logger)
            try await app.runService()
        } catch {
            try? await httpClient.shutdown()
            throw error
        }
        try await httpClient.shutdown()
    }
}

extension ServeCommand {
    /// Serves blob chunks from large buffers: with glibc's default dynamic mmap
    /// threshold those come from the heap, and many parallel downloads fragment it until
    /// RSS reaches hundreds of MiB. A fixed threshold keeps them in mmap'd memory that is
    /// returned on free (measured: 8 parallel 512 MiB downloads peak at ~60 MiB instead
    /// of ~390 MiB). Read buffers are reused, so the extra mmap calls are rare.
    static func boundHeapGrowth() {
        _ = mallopt(M_MMAP_THRESHOLD, 256 * 1024)
    }
}

extension TimeAmount {
    /// Converts a Swift `Duration`.
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
