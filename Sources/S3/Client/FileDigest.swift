import Crypto
import NIOCore
import NIOFileSystem

/// SHA-256 of a file range, read in chunks.
enum FileDigest {
    /// The lowercase hex SHA-256 of `length` bytes of the file at `path` from `offset`.
    static func sha256Hex(path: String, offset: Int64, length: Int64) async throws -> String {
        try await FileSystem.shared.withFileHandle(forReadingAt: FilePath(path)) { handle in
            var hasher = SHA256()
            for try await chunk in handle.readChunks(in: offset..<(offset + length), chunkLength: .mebibytes(1)) {
                chunk.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            }
            return HexEncoding.lowercase(hasher.finalize())
        }
    }
}
