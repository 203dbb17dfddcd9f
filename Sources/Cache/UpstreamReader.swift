import NIOCore
import OCI

/// Streams a blob straight from the upstream, without the cache: for new requests while
/// the disk is full, and for clients whose shared download had to stop writing.
/// When it can see the whole blob (it starts at byte 0, the upstream ignored the range,
/// or it is given the digest state of the bytes before its offset) it verifies the
/// digest and holds back the last chunk until it has, so a complete body is never bad
/// data.
final class UpstreamReader: @unchecked Sendable {
    // Unchecked: an UpstreamReader belongs to one BlobBody iterator, which calls `next()`
    // sequentially (each call awaits the previous), so its state is never shared.
    private var iterator: any AsyncIteratorProtocol<ByteBuffer, any Error>
    private var skip: Int64
    private var hasher: DigestHasher?
    private var held: ByteBuffer?
    let digest: Digest

    /// Reads `blob` (whose body starts at blob offset `blob.offset`) from `offset` on;
    /// `prefix` is the digest state of bytes `0..<offset` when the caller has them. A
    /// `partial` read (a client's range) is not verified: only a whole blob has a digest.
    init(_ blob: UpstreamBlob, from offset: Int64, digest: Digest, verifyingAfter prefix: DigestHasher? = nil, partial: Bool = false) {
        iterator = blob.body.makeAsyncIterator()
        skip = max(0, offset - blob.offset)
        self.digest = digest
        if partial {
            hasher = nil
        } else if blob.offset == 0 {
            hasher = DigestHasher(digest.algorithm)
        } else if blob.offset == offset {
            hasher = prefix
        } else {
            hasher = nil
        }
    }

    /// The next chunk, or nil at the end (after the digest checked out).
    func next() async throws -> ByteBuffer? {
        while true {
            guard var chunk = try await iterator.next() else {
                if let hasher, hasher.finalize() != digest {
                    throw CacheError(.digestMismatch, "upstream content does not match digest \(digest)")
                }
                defer { held = nil }
                return held
            }
            hasher?.update(chunk)
            if skip > 0 {
                let dropped = Int(min(skip, Int64(chunk.readableBytes)))
                chunk.moveReaderIndex(forwardBy: dropped)
                skip -= Int64(dropped)
                if chunk.readableBytes == 0 { continue }
            }
            guard hasher != nil else { return chunk }
            // Verifying: send the previous chunk, keep this one until the next arrives.
            let previous = held
            held = chunk
            if let previous { return previous }
        }
    }
}
