#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOCore
import NIOPosix

/// An open file descriptor for a blob (committed or still filling), read and written
/// with positional I/O on a thread pool so no event loop or task executor blocks, and
/// flushed to disk on another pool so an fsync never holds up a read.
///
/// Positional `pread`/`pwrite` need no shared offset, so many readers and one writer
/// can use the same descriptor at once. The descriptor closes when the last reference
/// goes away, which is what lets a reader keep streaming a file after it was renamed.
public final class BlobFile: Sendable {
    /// The descriptor; valid until `deinit`.
    let descriptor: Int32
    let pools: BlobIOPools

    init(descriptor: Int32, pools: BlobIOPools) {
        self.descriptor = descriptor
        self.pools = pools
    }

    deinit {
        close(descriptor)
    }

    /// Opens an existing file read-only; nil when it does not exist.
    static func openForReading(path: String, pools: BlobIOPools) throws -> BlobFile? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        if descriptor < 0 {
            if errno == ENOENT { return nil }
            throw FileSystemError(operation: "open", path: path, code: errno)
        }
        return BlobFile(descriptor: descriptor, pools: pools)
    }

    /// Creates a new file for reading and writing; fails if it exists.
    static func create(path: String, pools: BlobIOPools) throws -> BlobFile {
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw FileSystemError(operation: "create", path: path, code: errno) }
        return BlobFile(descriptor: descriptor, pools: pools)
    }

    /// A new descriptor for the same open file (for `sendfile(2)`, which must not depend
    /// on this object's lifetime); the caller closes it.
    public func duplicateDescriptor() throws -> Int32 {
        let duplicate = fcntl(descriptor, F_DUPFD_CLOEXEC, 0)
        guard duplicate >= 0 else { throw FileSystemError(operation: "dup", path: "fd \(descriptor)", code: errno) }
        return duplicate
    }

    /// The file's current size.
    func size() throws -> Int64 {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileSystemError(operation: "fstat", path: "fd \(descriptor)", code: errno) }
        return Int64(info.st_size)
    }

    /// Reads up to `count` bytes at `offset` into `scratch`'s buffer and returns it; a
    /// short or empty buffer means end of file.
    ///
    /// The scratch buffer is reused once the connection has released the previous chunk,
    /// so a steady download allocates almost nothing (fresh 1 MiB buffers per chunk
    /// fragment the heap badly under many parallel downloads).
    func read(at offset: Int64, count: Int, into scratch: ReadBuffer) async throws -> ByteBuffer {
        let descriptor = self.descriptor
        return try await pools.io.runIfActive {
            scratch.advance()
            scratch.buffer.clear(minimumCapacity: count)
            var filled = 0
            while filled < count {
                let result = scratch.buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: count - filled) { pointer in
                    pread(descriptor, pointer.baseAddress, count - filled, off_t(offset) + off_t(filled))
                }
                if result < 0 {
                    if errno == EINTR { continue }
                    throw FileSystemError(operation: "pread", path: "fd \(descriptor)", code: errno)
                }
                if result == 0 { break }
                filled += result
            }
            return scratch.buffer
        }
    }

    /// Writes all of `buffers`, one after another, from `offset` (one hop to the I/O pool).
    func write(_ buffers: [ByteBuffer], at offset: Int64) async throws {
        let descriptor = self.descriptor
        try await pools.io.runIfActive {
            var position = off_t(offset)
            for buffer in buffers {
                try buffer.withUnsafeReadableBytes { bytes in
                    var written = 0
                    while written < bytes.count {
                        let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, position + off_t(written))
                        if result < 0 {
                            if errno == EINTR { continue }
                            throw FileSystemError(operation: "pwrite", path: "fd \(descriptor)", code: errno)
                        }
                        written += result
                    }
                }
                position += off_t(buffer.readableBytes)
            }
        }
    }

    /// Flushes written data to stable storage (on the sync pool).
    func synchronize() async throws {
        let descriptor = self.descriptor
        try await pools.sync.runIfActive {
            guard fsync(descriptor) == 0 else { throw FileSystemError(operation: "fsync", path: "fd \(descriptor)", code: errno) }
        }
    }
}

/// A reusable read buffer owned by one reader. A class so the buffer's storage stays
/// uniquely referenced while the thread pool writes into it (a captured value would be
/// copied on write).
///
/// Two buffers alternate: while the connection still sends one chunk, the next is read
/// into the other, and by the time the first is needed again it has been released.
final class ReadBuffer: @unchecked Sendable {
    // Safe: only the one reader that owns it touches it, and its reads are sequential
    // (each `read` awaits the previous one), so there is never concurrent access.
    private var buffers = [ByteBufferAllocator().buffer(capacity: 0), ByteBufferAllocator().buffer(capacity: 0)]
    private var current = 0

    /// The buffer for the next read; alternates on every access.
    var buffer: ByteBuffer {
        get { buffers[current] }
        _modify {
            yield &buffers[current]
        }
    }

    /// Switches to the other buffer; call once per read.
    func advance() {
        current ^= 1
    }
}

/// A failed system call on the cache directory; logged, never shown to clients.
public struct FileSystemError: Error, Sendable, CustomStringConvertible {
    public let operation: String
    public let path: String
    public let code: Int32

    /// Whether the disk (or the user's quota on it) is full.
    public var isOutOfSpace: Bool { code == ENOSPC || code == EDQUOT }

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}
