#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Watches the free space of the cache's filesystem: downloads stop writing to disk
/// when less than `reserve` bytes would remain (and on a real ENOSPC), and Ferry then
/// streams blobs from the upstream without caching them.
public final class DiskSpaceGuard: Sendable {
    public let path: String
    private let reserve: Atomic<Int64>

    /// Guards the filesystem holding `path`, keeping `reserve` bytes free.
    public init(path: String, reserve: Int64 = 0) {
        self.path = path
        self.reserve = Atomic(reserve)
    }

    /// Changes the reserve (configuration reloads; tests simulate a full disk with it).
    public func setReserve(_ bytes: Int64) {
        reserve.store(bytes, ordering: .relaxed)
    }

    /// Bytes available to unprivileged writers on the filesystem.
    public var freeBytes: Int64 {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return .max }
        return Int64(info.f_bavail) * Int64(info.f_frsize)
    }

    /// Whether `bytes` more can be written and the reserve still kept.
    public func hasRoom(for bytes: Int64) -> Bool {
        freeBytes - bytes >= reserve.load(ordering: .relaxed)
    }
}
