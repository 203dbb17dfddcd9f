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
final class DataDirectoryLock {
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit {
        flock(descriptor, LOCK_UN)
        close(descriptor)
    }

    /// Takes the lock without waiting; nil when another process holds it.
    static func acquire(dataDirectory: String) throws -> DataDirectoryLock? {
        let path = dataDirectory + "/lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw ConfigurationError("data-dir \(dataDirectory): cannot open \(path): \(String(cString: strerror(errno)))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            return nil
        }
        return DataDirectoryLock(descriptor: descriptor)
    }

    /// The admin socket of the server using `dataDirectory`.
    static func adminSocket(dataDirectory: String) -> String {
        dataDirectory + "/admin.sock"
    }
}
