#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the data directory to its owner: cached images can include private upstream
/// content, and the index tells which repositories tenants pull. The directory is
/// closed to other users (mode 0700) before anything is written in it, and files are
/// created 0600; an index or directory from an earlier release is closed too.
enum DataDirectoryPermissions {
    /// Closes `layout`'s directory to other users, when this process owns it (another
    /// user, root aside, could not change it, and need not: the owner's server does).
    static func closeDirectory(_ layout: CacheLayout) {
        restrict(layout.root, to: 0o700)
    }

    /// Closes the index's files to other users (SQLite creates them with the umask's mode).
    static func closeIndex(_ layout: CacheLayout) {
        for suffix in ["", "-wal", "-shm"] { restrict(layout.index + suffix, to: 0o600) }
    }

    private static func restrict(_ path: String, to mode: mode_t) {
        var info = stat()
        guard lstat(path, &info) == 0, info.st_uid == geteuid() || geteuid() == 0, info.st_mode & 0o077 != 0 else { return }
        _ = chmod(path, mode)
    }
}
