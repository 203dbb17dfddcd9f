import ArgumentParser
import Cache
import Foundation
import Logging
import NIOHTTP1
import OCI

/// `ferry cache …`: the on-disk cache. With a server running on the data directory,
/// the commands go through it (its admin socket), so they see its live inventory and
/// never evict a blob being read; otherwise they work on the directory themselves,
/// holding its lock so no server starts meanwhile.
struct CacheCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Inspect and trim the blob cache.", subcommands: [Stats.self, GC.self, Purge.self])

    struct CacheOptions: ParsableArguments {
        @Option(help: "JSON configuration file (or FERRY_CONFIG).") var config: String?
        @Option(name: .customLong("data-dir"), help: "Cache directory (data-dir).") var dataDirectory: String?

        func values() async throws -> (values: ConfigValues, root: String) {
            let environment = ProcessInfo.processInfo.environment
            let values = try await ConfigOptions.values(flags: dataDirectory.map { ["data-dir": $0] } ?? [:], environment: environment, configFile: config ?? environment["FERRY_CONFIG"])
            let root = values.string("data-dir", default: "./data")
            guard FileManager.default.fileExists(atPath: root + "/blobs") else { throw ConfigurationError("data-dir \(root) holds no cache") }
            return (values, root)
        }

        /// Runs `local` on the directory when no server holds it, else asks the server.
        /// With no server, the index is opened here (and built first when it is new).
        func perform<T: Decodable>(_ method: HTTPMethod, _ path: String, as type: T.Type, root: String, local: (CacheMaintenance) async throws -> T) async throws -> T {
            guard let lock = try DataDirectoryLock.acquire(dataDirectory: root) else {
                return try await CacheAdminClient(socketPath: DataDirectoryLock.adminSocket(dataDirectory: root)).call(method, path, as: type)
            }
            defer { withExtendedLifetime(lock) {} }
            let logger = Logger(label: "ferry", factory: { _ in SwiftLogNoOpLogHandler() })
            let store = try FileSystemBlobStore(root: root)
            let inventory = try CacheInventory.open(root: root, logger: logger)
            if !inventory.isReady { try await inventory.reconcile() }
            let maintenance = CacheMaintenance(blobs: store, manifests: try FileSystemManifestStore(root: root, inventory: inventory), inventory: inventory, logger: logger)
            do {
                let result = try await local(maintenance)
                await inventory.close()
                return result
            } catch {
                await inventory.close()
                throw error
            }
        }
    }

    struct Stats: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bytes (blobs, manifests and tags), counts, hit ratio and oldest access.")
        @OptionGroup var options: CacheOptions
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let (values, root) = try await options.values()
            let stats = try await options.perform(.GET, "/cache/stats", as: CacheMaintenance.Stats.self, root: root) { $0.stats() }
            let hitRatio = try await Self.hitRatio(values)
            struct Shown: Codable { let bytes: Int64; let blobs: Int; let manifests: Int; let tags: Int?; let oldestAccess: Date?; let hitRatio30Days: Double? }
            let shown = Shown(bytes: stats.bytes, blobs: stats.blobs, manifests: stats.manifests, tags: stats.tags, oldestAccess: stats.oldestAccess, hitRatio30Days: hitRatio)
            if json { return try printJSON(shown) }
            print("bytes          \(shown.bytes) (\(String(format: "%.1f", Double(shown.bytes) / 1_073_741_824)) GiB)")
            print("blobs          \(shown.blobs)")
            print("manifests      \(shown.manifests)")
            print("tags           \(shown.tags.map(String.init) ?? "-")")
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
        static let configuration = CommandConfiguration(commandName: "gc", abstract: "Evict least recently used blobs, manifests and tags down to a size.")
        @OptionGroup var options: CacheOptions
        @Flag(name: .customLong("dry-run"), help: "Only say what would go.") var dryRun = false
        @Option(help: "Target size, e.g. 20GiB (default: the configured low-water mark).") var to: String?

        func run() async throws {
            let (values, root) = try await options.values()
            var target: Int64
            if let to {
                guard let bytes = ConfigValues.parseByteCount(to) else { throw ValidationError("--to: \"\(to)\" is not a size like 20GiB") }
                target = bytes
            } else {
                guard let text = values.string("cache.max-size") else { throw ValidationError("no cache.max-size configured: pass --to SIZE") }
                let budget: CacheBudget = text.hasSuffix("%") ? .percentOfDisk(Double(text.dropLast()) ?? 100) : .bytes(ConfigValues.parseByteCount(text) ?? 0)
                target = Int64(Double(try budget.bytes(for: root)) * Double(try values.int("cache.low-water", default: 90, range: 10...99)) / 100)
            }
            let result = try await options.perform(.POST, "/cache/gc?to=\(target)&dry-run=\(dryRun)", as: CacheMaintenance.Collection.self, root: root) {
                await $0.collect(to: target, dryRun: dryRun)
            }
            print(
                "\(dryRun ? "would evict" : "evicted") \(result.blobs) blobs, \(result.manifests ?? 0) manifests, \(result.tags ?? 0) tags, \(result.bytes) bytes; "
                    + "cache \(result.before) -> \(result.before - result.bytes) bytes (target \(target))"
            )
        }
    }

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a blob or manifest by digest, or a repository's tags, manifests and blobs (as the upstream names it, e.g. library/nginx).")
        @OptionGroup var options: CacheOptions
        @Argument(help: "sha256:… or a repository name.") var target: String

        func run() async throws {
            let (_, root) = try await options.values()
            if target.contains(":") { _ = try Digest(parsing: target) } else { _ = try RepositoryName(parsing: target) }
            guard let encoded = target.addingPercentEncoding(withAllowedCharacters: .alphanumerics) else { throw ValidationError("unusable target \(target)") }
            let result = try await options.perform(.POST, "/cache/purge?target=\(encoded)", as: CacheMaintenance.Purge.self, root: root) { try $0.purge(target) }
            if result.tags == 0 {
                print("purged \(target)")
            } else {
                print("purged \(target): \(result.tags) tags, \(result.digests) manifests and blobs")
            }
        }
    }
}
