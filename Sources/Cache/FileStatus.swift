#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What `stat(2)` says about a regular file, read the same way on Linux and macOS
/// (their `struct stat` names the modification time differently).
struct FileStatus: Sendable, Equatable {
    let size: Int64
    /// Last modification, in whole seconds since 1970.
    let modified: Int64

    /// The status of the regular file at `path`; nil when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        size = Int64(info.st_size)
        #if canImport(Darwin)
        modified = Int64(info.st_mtimespec.tv_sec)
        #else
        modified = Int64(info.st_mtim.tv_sec)
        #endif
    }
}
