#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The directory the admin socket lives in: a real directory (not a link), owned by the
/// server's user and closed to everyone else (mode 0700), made so before the socket is
/// bound.
enum AdminSocketDirectory {
    /// Creates `directory` with mode 0700, or closes an existing one of ours to others;
    /// throws when it belongs to another user or is not a directory.
    static func prepare(directory: String) throws {
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw AdminSocketError("cannot create \(directory): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(directory, &info) == 0 else { throw AdminSocketError("cannot read \(directory): \(String(cString: strerror(errno)))") }
        guard info.st_mode & S_IFMT == S_IFDIR else { throw AdminSocketError("\(directory) is not a directory") }
        guard info.st_uid == geteuid() else { throw AdminSocketError("\(directory) belongs to another user (uid \(info.st_uid))") }
        if info.st_mode & 0o077 != 0, chmod(directory, 0o700) != 0 {
            throw AdminSocketError("cannot close \(directory) to other users: \(String(cString: strerror(errno)))")
        }
    }
}

/// The admin socket's directory cannot be made safe.
struct AdminSocketError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = "admin socket: " + description
    }
}
