import ArgumentParser
import CMalloc
import FerryServer
import Hummingbird
import Logging
import ServiceLifecycle

/// `ferry serve`: runs the mirror until SIGTERM or SIGINT; then it stops accepting
/// connections, lets requests in flight (downloads included) finish for up to
/// `shutdown.grace-period`, flushes usage and returns.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the mirror.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
        Self.boundHeapGrowth()
        let (configuration, unknownEnvironment) = try await options.load()
        LoggingSystem.bootstrap { label in makeLogHandler(label: label, configuration.log) }
        let logger = Logger(label: "ferry")
        configuration.log(to: logger)
        for name in unknownEnvironment { logger.warning("environment variable is not a Ferry setting (ignored)", metadata: ["name": "\(name)"]) }
        for warning in configuration.warnings { logger.warning("\(warning)") }
        let descriptors = FileDescriptorLimit.raiseToHardLimit()
        logger.info("file descriptor limit", metadata: ["soft": "\(descriptors.soft)", "hard": "\(descriptors.hard)"])
        if descriptors.soft < 4096 {
            logger.warning("few file descriptors: every connection and open blob takes one; raise LimitNOFILE / ulimit -n", metadata: ["limit": "\(descriptors.soft)"])
        }

        let app = try await buildApplication(configuration, try await .live(configuration, logger: logger), logger: logger)
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = configuration.shutdownGracePeriod
        try await ServiceGroup(configuration: group).run()
    }

    /// Serves blob chunks from large buffers: with glibc's default dynamic mmap
    /// threshold those come from the heap, and many parallel downloads fragment it until
    /// RSS reaches hundreds of MiB. A fixed threshold keeps them in mmap'd memory that is
    /// returned on free (measured: 8 parallel 512 MiB downloads peak at ~60 MiB instead
    /// of ~390 MiB). Read buffers are reused, so the extra mmap calls are rare.
    static func boundHeapGrowth() {
        _ = mallopt(M_MMAP_THRESHOLD, 256 * 1024)
    }
}
