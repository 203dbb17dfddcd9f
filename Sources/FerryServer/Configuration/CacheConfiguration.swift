#if canImport(Glibc)
import Glibc
#endif
import Cache

/// The local cache: where it lives and how large it may grow.
///
/// Configuration keys:
/// - `data-dir`: the data directory (default `./data`).
/// - `cache.max-size`: the budget for blobs, manifests and tag records, as a size
///   (`50GiB`) or a share of the disk (`80%`); unset means unlimited.
/// - `cache.low-water`: eviction goes down to this percentage of the budget (10–99, default 90).
/// - `cache.min-free`: downloads stop writing when less than this would stay free (default 256MiB).
/// - `cache.tag-revalidation`: how long a tag is served before asking the upstream again (default 5m).
/// - `cache.shared-max-size`: the budget of the shared store (`storage.backend s3`); one
///   server at a time evicts its least recently used blobs (never one used in the last
///   10 minutes); unset means unlimited.
public struct CacheConfiguration: Sendable {
    /// Where the cache and its index live.
    public var layout: CacheLayout
    /// The size budget, as configured; nil is unlimited.
    public var budget: CacheBudget?
    /// Eviction goes down to this fraction of the budget.
    public var lowWater: Double
    /// Bytes of disk that downloads leave free.
    public var minimumFree: Int64
    /// How long a tag's manifest is served before it is revalidated.
    public var tagRevalidation: Duration
    /// Bytes the shared store may hold; nil is unlimited.
    public var sharedBudget: Int64?

    /// The data directory.
    public var dataDirectory: String { layout.root }

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        layout = CacheLayout(root: reader.string("data-dir", default: "./data"))
        let cache = reader.scoped(to: "cache")
        budget = try cache.string("max-size").map { text throws(ConfigurationError) in
            guard let budget = CacheBudget(parsing: text) else {
                throw ConfigurationError("cache.max-size: \"\(text)\" is not a size like 50GiB or a share of the disk like 80%")
            }
            return budget
        }
        lowWater = Double(try cache.int("low-water", default: 90, range: 10...99)) / 100
        minimumFree = try cache.byteCount("min-free") ?? 256 << 20
        tagRevalidation = try cache.duration("tag-revalidation", default: .seconds(300))
        sharedBudget = try cache.byteCount("shared-max-size")
    }

    /// The budget in bytes on this machine's disk; nil when unlimited.
    public func budgetBytes() throws(ConfigurationError) -> Int64? {
        try budget?.bytes(for: layout.root)
    }

    /// The size eviction brings the cache down to; nil when unlimited.
    public func lowWaterBytes() throws(ConfigurationError) -> Int64? {
        try budgetBytes().map { Int64(Double($0) * lowWater) }
    }
}

/// How large the cache may grow.
public enum CacheBudget: Sendable, Equatable, CustomStringConvertible {
    case bytes(Int64)
    case percentOfDisk(Double)

    /// `50GiB` or `80%`; nil when malformed, zero or over 100%.
    public init?(parsing text: String) {
        if text.hasSuffix("%") {
            guard let percent = Double(text.dropLast()), percent > 0, percent <= 100 else { return nil }
            self = .percentOfDisk(percent)
        } else {
            guard let bytes = ConfigValues.parseByteCount(text), bytes > 0 else { return nil }
            self = .bytes(bytes)
        }
    }

    /// The budget in bytes for a cache in `directory`.
    public func bytes(for directory: String) throws(ConfigurationError) -> Int64 {
        switch self {
        case .bytes(let bytes): return bytes
        case .percentOfDisk(let percent):
            var info = statvfs()
            guard statvfs(directory, &info) == 0 else { throw ConfigurationError("cache.max-size: cannot read the size of the disk holding \(directory)") }
            return Int64(Double(UInt64(info.f_blocks) * UInt64(info.f_frsize)) * percent / 100)
        }
    }

    public var description: String {
        switch self {
        case .bytes(let bytes): "\(bytes) bytes"
        case .percentOfDisk(let percent): "\(percent)% of the disk"
        }
    }
}
