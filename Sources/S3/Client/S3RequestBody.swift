import NIOCore

/// The body of an upload. Every kind can be sent again, so uploads are retried.
public enum S3RequestBody: Sendable {
    /// Bytes in memory.
    case bytes(ByteBuffer)
    /// `length` bytes of a file, starting at `offset` (streamed in 1 MiB chunks, never loaded whole).
    case file(path: String, offset: Int64)

    /// A whole file from its start.
    public static func file(path: String) -> S3RequestBody {
        .file(path: path, offset: 0)
    }

    /// Whether the body can be produced again for a retry.
    var isReplayable: Bool {
        switch self {
        case .bytes, .file: return true
        }
    }
}
