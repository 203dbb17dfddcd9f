import ArgumentParser
import Cache
import Foundation
import Logging
import OCI

/// `ferry cache …`: the on-disk cache, offline or while the server runs (a server that
/// finds a blob gone fetches it again).
struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Inspect and trim the blob cache.", subcommands: [Stats.self, GC.self, Purge.self])

    struct CacheOptions: ParsableArguments {
        @Option(help: "JSON configuration file (or FERRY_CONFIG).") var config: String?
        @Option(name: .customLong("data-dir"), help: "Cache directory (data-dir).") var dataDirectory: String?

        func open() async throws -> (store: FileSystemBlobStore, inventory: BlobInventory, values: ConfigValues, root: String) {
            let environment = ProcessInfo.processInfo.environment
            let values = try await ConfigOptions.values(flags: dataDirectory.map { ["data-dir": $0] } ?? [:], environment: environment, configFile: config ?? environment["FERRY_CONFIG"])
            let root = values.string("data-dir", default: "./data")
            guard FileManager.default.fileExists(atPath: root + "/blobs") else { throw ConfigurationError("data-dir \(root) holds no cache") }
            let store = try FileSystemBlobStore(root: root)
            let inventory = BlobInventory(store: store)
            try inventory.load()
            return (store, inventory, values, root)
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bytes, blobs, hit ratio and oldest access.")
        @OptionGroup var options: CacheOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (_, inventory, values, root) = try await options.open()
            let manifests = (try? FileManager.default.subpathsOfDirectory(atPath: root + "/manifests"))?.filter { $0.split(separator: "/").count == 3 }.count ?? 0
            let hitRatio = try await Self.hitRatio(values)
            struct Shown: Codable { let bytes: Int64; let blobs: Int; let manifests: Int; let oldestAccess: Date?; let hitRatio30Days: Double? }
            let shown = Shown(bytes: inventory.totalBytes, blobs: inventory.count, manifests: manifests, oldestAccess: inventory.oldestAccess, hitRatio30Days: hitRatio)
            if json { return try printJSON(shown) }
            print("bytes          \(shown.bytes) (\(String(format: "%.1f", Double(shown.bytes) / 1_073_741_824)) GiB)")
            print("blobs          \(shown.blobs)")
            print("manifests      \(shown.manifests)")
            print("oldest access  \(formatDate(shown.oldestAccess))")
            print("hit ratio      \(hitRatio.map { String(format: "%.1f%% of bytes served in the last 30 days", $0 * 100) } ?? "- (no database configured)")")
        }

        /// Share of bytes served from the cache over 30 days, from the usage rollups.
        static func hitRatio(_ values: ConfigValues) async throws -> Double? {
            guard let url = try values.secret("database.url") else { return nil }
            return try await withDatabase(try DatabaseSettings.parse(url), logger: Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })) { client in
                let rows = try await client.query("SELECT COALESCE(SUM(hit_bytes), 0)::BIGINT, COALESCE(SUM(bytes_served), 0)::BIGINT FROM usage_daily WHERE day > CURRENT_DATE - 30")
                for try await (hits, served) in rows.decode((Int64, Int64).self) { return served == 0 ? nil : Double(hits) / Double(served) }
                return nil
            }
        }
    }

    struct GC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gc", abstract: "Evict least recently used blobs down to a size.")
        @OptionGroup var options: CacheOptions
        @Flag(name: .customLong("dry-run"), help: "Only say what would go.") var dryRun = false
        @Option(help: "Target size, e.g. 20GiB (default: the configured low-water mark).") var to: String?

        func run() async throws {
            let (_, inventory, values, root) = try await options.open()
            var target: Int64
            if let to {
                guard let bytes = ConfigValues.parseByteCount(to) else { throw ValidationError("--to: \"\(to)\" is not a size like 20GiB") }
                target = bytes
            } else {
                guard let text = values.string("cache.max-size") else { throw ValidationError("no cache.max-size configured: pass --to SIZE") }
                let budget: CacheBudget = text.hasSuffix("%") ? .percentOfDisk(Double(text.dropLast()) ?? 100) : .bytes(ConfigValues.parseByteCount(text) ?? 0)
                target = Int64(Double(try budget.bytes(for: root)) * Double(try values.int("cache.low-water", default: 90, range: 10...99)) / 100)
            }
            let evictor = CacheEvictor(inventory: inventory, budget: target, lowWaterFraction: 1, logger: Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() }))
            let before = inventory.totalBytes
            let result = evictor.evict(to: target, dryRun: dryRun)
            if !dryRun { try inventory.persist() }
            print("\(dryRun ? "would evict" : "evicted") \(result.blobs) blobs, \(result.bytes) bytes; cache \(before) -> \(before - result.bytes) bytes (target \(target))")
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a blob or manifest by digest, or a repository's tags, manifests and blobs (as the upstream names it, e.g. library/nginx).")
        @OptionGroup var options: CacheOptions
        @Argument(help: "sha256:… or a repository name.") var target: String

        func run() async throws {
            let (store, inventory, _, root) = try await options.open()
            let manifests = try FileSystemManifestStore(root: root)
            if target.contains(":") {
                let digest = try Digest(parsing: target)
                let removed = CachePurge.remove(digest, blobs: store, manifests: manifests, inventory: inventory)
                guard removed else { throw ValidationError("\(digest) is not in the cache") }
                try inventory.persist()
                print("purged \(digest)")
                return
            }
            let repository = try RepositoryName(parsing: target)
            let result = try CachePurge.remove(repository: repository, root: root, blobs: store, manifests: manifests, inventory: inventory)
            guard result.tags > 0 else { throw ValidationError("no cached tags for \(repository)") }
            try inventory.persist()
            print("purged \(repository): \(result.tags) tags, \(result.digests) manifests and blobs")
        }
    }
}
