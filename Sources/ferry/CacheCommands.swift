import ArgumentParser
import Cache
import Foundation
import FerryServer
import NIOHTTP1
import OCI

/// `ferry cache …`: the on-disk cache. With a server running on the data directory,
/// the commands go through it (its admin socket), so they see its live inventory and
/// never evict a blob being read; otherwise they work on the directory themselves,
/// holding its lock so no server starts meanwhile.
struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Inspect and trim the blob cache.", subcommands: [Stats.self, GC.self, Purge.self])

    /// Runs `local` on the cache directory when no server holds it, else asks the
    /// server over its admin socket. With no server, the index is opened here (and
    /// built first when it is new).
    static func perform<T: Decodable>(
        _ method: HTTPMethod, _ path: String, as type: T.Type, cache: CacheConfiguration, local: (CacheMaintenance) async throws -> T
    ) async throws -> T {
        let layout = cache.layout
        guard FileManager.default.fileExists(atPath: layout.blobs) else { throw CommandError("data-dir \(layout.root) holds no cache") }
        guard let lock = try DataDirectoryLock.acquire(layout) else {
            return try await CacheAdminClient(socketPath: layout.adminSocket).call(method, path, as: type)
        }
        defer { withExtendedLifetime(lock) {} }
        let opened = try MirrorCache.open(layout, settings: .init(exclusive: false), logger: cliLogger)
        if !opened.inventory.isReady { try await opened.inventory.reconcile() }
        do {
            let result = try await local(opened.maintenance)
            await opened.inventory.close()
            return result
        } catch {
            await opened.inventory.close()
            throw error
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bytes (blobs, manifests and tags), counts, hit ratio and oldest access.")
        @OptionGroup var options: ConfigOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let values = try await options.values()
            let stats = try await CacheCommand.perform(.GET, "/cache/stats", as: CacheMaintenance.Stats.self, cache: try CacheConfiguration(reader: values)) { $0.stats() }
            let hitRatio = try DatabaseConfiguration(reader: values).settings == nil ? nil : try await options.withDatabase { try await $0.billing.cacheHitRatio() }
            let budget = try CacheConfiguration(reader: values).sharedBudget
            let shared = try await SharedBucket.withBucket(try StorageConfiguration(reader: values), database: try DatabaseConfiguration(reader: values), logger: cliLogger) {
                try await $0?.storage.stats(budget: budget)
            }
            struct Shown: Codable {
                let bytes: Int64; let blobs: Int; let manifests: Int; let tags: Int?; let oldestAccess: Date?; let hitRatio30Days: Double?; let shared: SharedStorage.Stats?
            }
            let shown = Shown(
                bytes: stats.bytes, blobs: stats.blobs, manifests: stats.manifests, tags: stats.tags, oldestAccess: stats.oldestAccess, hitRatio30Days: hitRatio, shared: shared
            )
            if json { return try printJSON(shown) }
            print("bytes          \(shown.bytes) (\(gibibytes(shown.bytes)))")
            print("blobs          \(shown.blobs)")
            print("manifests      \(shown.manifests)")
            print("tags           \(shown.tags.map(String.init) ?? "-")")
            print("oldest access  \(formatDate(shown.oldestAccess))")
            print("hit ratio      \(hitRatio.map { String(format: "%.1f%% of bytes served in the last 30 days", $0 * 100) } ?? "- (no database configured)")")
            if let shared {
                print("shared store   \(shared.blobs) blobs, \(shared.bytes) bytes (\(gibibytes(shared.bytes))) of \(shared.budget.map { gibibytes($0) } ?? "unlimited")")
            }
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc", abstract: "Evict least recently used blobs, manifests and tags down to a size.")
        @OptionGroup var options: ConfigOptions
        @Flag(name: .customLong("dry-run"), help: "Only say what would go.") var dryRun = false
        @Option(help: "Target size, e.g. 20GiB (default: the configured low-water mark).") var to: String?
        @Option(name: .customLong("shared-to"), help: "The shared store's target size, e.g. 2TiB (default: its low-water mark).") var sharedTo: String?

        func run() async throws {
            let values = try await options.values()
            let cache = try CacheConfiguration(reader: values)
            let target: Int64
            if let to {
                guard let bytes = ConfigValues.parseByteCount(to) else { throw ValidationError("--to: \"\(to)\" is not a size like 20GiB") }
                target = bytes
            } else {
                guard let lowWater = try cache.lowWaterBytes() else { throw ValidationError("no cache.max-size configured: pass --to SIZE") }
                target = lowWater
            }
            let dryRun = dryRun
            let result = try await CacheCommand.perform(.POST, "/cache/gc?to=\(target)&dry-run=\(dryRun)", as: CacheMaintenance.Collection.self, cache: cache) {
                await $0.collect(to: target, dryRun: dryRun)
            }
            print(
                "\(dryRun ? "would evict" : "evicted") \(result.blobs) blobs, \(result.manifests ?? 0) manifests, \(result.tags ?? 0) tags, \(result.bytes) bytes; "
                    + "cache \(result.before) -> \(result.before - result.bytes) bytes (target \(target))"
            )
            try await collectShared(values: values, cache: cache, dryRun: dryRun)
        }

        /// The shared store: evicted down to `--shared-to` (or its low-water mark), and
        /// its abandoned uploads aborted.
        private func collectShared(values: ConfigValues, cache: CacheConfiguration, dryRun: Bool) async throws {
            var sharedTarget: Int64?
            if let sharedTo {
                guard let bytes = ConfigValues.parseByteCount(sharedTo) else { throw ValidationError("--shared-to: \"\(sharedTo)\" is not a size like 2TiB") }
                sharedTarget = bytes
            } else if let budget = cache.sharedBudget {
                sharedTarget = Int64(Double(budget) * cache.lowWater)
            }
            let target = sharedTarget
            try await SharedBucket.withBucket(try StorageConfiguration(reader: values), database: try DatabaseConfiguration(reader: values), logger: cliLogger) { bucket in
                guard let bucket else { return }
                if let target {
                    let evicted = try await bucket.storage.evict(to: target, dryRun: dryRun)
                    print(
                        "shared store: \(dryRun ? "would evict" : "evicted") \(evicted.blobs) blobs, \(evicted.bytes) bytes; "
                            + "\(evicted.before) -> \(evicted.before - evicted.bytes) bytes (target \(target))"
                    )
                }
                if !dryRun {
                    let aborted = try await bucket.abortAbandonedUploads(now: Date(), logger: cliLogger)
                    print("shared store: aborted \(aborted) abandoned uploads")
                }
            }
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a blob or manifest by digest, or a repository's tags, manifests and blobs (as the upstream names it, e.g. library/nginx).")
        @OptionGroup var options: ConfigOptions
        @Argument(help: "sha256:… or a repository name.") var target: String

        func run() async throws {
            let values = try await options.values()
            let cache = try CacheConfiguration(reader: values)
            let storage = try StorageConfiguration(reader: values)
            let digest = target.contains(":") ? try Digest(parsing: target) : nil
            if digest == nil { _ = try RepositoryName(parsing: target) }
            guard let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else { throw ValidationError("unusable target \(target)") }
            var local: CacheMaintenance.Purge?
            do {
                local = try await CacheCommand.perform(.POST, "/cache/purge?target=\(encoded)", as: CacheMaintenance.Purge.self, cache: cache) { try $0.purge(target) }
            } catch let error as CacheError where digest != nil && storage.backend == .s3 && error.kind == .blobUnknown {
                local = nil  // perhaps only in the shared store
            }
            let removed = local?.removed ?? digest.map { [$0] } ?? []
            let shared = try await SharedBucket.withBucket(storage, database: try DatabaseConfiguration(reader: values), logger: cliLogger) { bucket in
                try await bucket?.storage.remove(removed)
            }
            guard local != nil || (shared ?? 0) > 0 else { throw CommandError("\(target) is in neither the local cache nor the shared store") }
            var said = "purged \(target)"
            if let local, local.tags > 0 { said += ": \(local.tags) tags, \(local.digests) manifests and blobs" }
            if let shared { said += "; \(shared) from the shared store" }
            print(said)
        }
    }
}

/// `bytes` in GiB, one decimal.
private func gibibytes(_ bytes: Int64) -> String {
    String(format: "%.1f GiB", Double(bytes) / 1_073_741_824)
}
