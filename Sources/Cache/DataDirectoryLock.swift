#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// An exclusive `flock` on `data-dir/lock`: `ferry serve` holds it for its lifetime (so
/// two servers never share a cache directory), and `ferry cache` commands take it to
/// work on the directory themselves; when they cannot, a server runs and they ask it
/// over its admin socket instead.
public final class DataDirectoryLock: Sendable {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock without waiting; nil when another process holds it.
    public static func acquire(_ layout: CacheLayout) throws -> DataDirectoryLock? {
        let path = layout.lock
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError(operation: "open", path: path, code: errno) }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return DataDirectoryLock(descriptor: descriptor)
    }
}

/// Another process holds the data directory's lock (two servers never share a cache).
public struct DataDirectoryInUse: Error, CustomStringConvertible {
    public let layout: CacheLayout

    public var description: String { "data-dir \(layout.root) is in use by another ferry serve" }
}
