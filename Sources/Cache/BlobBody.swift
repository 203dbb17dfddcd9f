import NIOCore

/// The bytes of a blob response, read from disk in large chunks: either a committed
/// file, or a temporary file that a download is still filling (reading along as bytes
/// become visible). Never holds more than one chunk in memory.
public struct BlobBody: AsyncSequence, Sendable {
    public typealias Element = ByteBuffer

    enum Source: Sendable {
        case file(BlobFile, size: Int64)
        case fill(BlobFill)
        case upstream(UpstreamReader)
        /// Bytes read from the shared store (already cut to the range).
        case shared(BlobChunks)
    }

    /// Bytes read from disk per chunk: large enough to keep throughput near sendfile's,
    /// small enough that eight parallel downloads stay within a few tens of MiB.
    public static let chunkSize = 512 << 10

    let source: Source
    /// First byte to send.
    let start: Int64
    /// Last byte to send (inclusive); nil means to the end of the blob.
    let end: Int64?
    /// Protects the blob from eviction while this body exists.
    let lease: ReadLease?
    /// Keeps a shared download going while this body exists.
    var reader: FillReader? = nil

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: source, start: start, offset: start, end: end, lease: lease, reader: reader)
    }

    /// Reads the next chunk, waiting for a download to make more bytes visible.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: Source
        let start: Int64
        var offset: Int64
        let end: Int64?
        let lease: ReadLease?
        let reader: FillReader?
        let scratch = ReadBuffer()
        /// Set when this reader streams from the upstream itself (its download stopped).
        var resumed: UpstreamReader?
        /// The shared store's chunks, once iterating them started.
        var stored: BlobChunks.AsyncIterator?

        public mutating func next() async throws -> ByteBuffer? {
            // A range ends when its last byte is sent, not when the download does.
            if let end, offset > end { return nil }
            if let resumed { return try await take(resumed) }
            switch source {
            case .file(let file, let size):
                return try await read(file, available: size)
            case .upstream(let reader):
                return try await take(reader)
            case .shared(let chunks):
                if stored == nil { stored = chunks.makeAsyncIterator() }
                guard let chunk = try await stored!.next() else { return nil }
                offset += Int64(chunk.readableBytes)
                return chunk
            case .fill(let fill):
                while true {
                    try Task.checkCancellation()
                    let (phase, version) = fill.progress.snapshot()
                    switch phase {
                    case .failed(let error) where error.kind == .diskFull:
                        // The shared download stopped writing: carry on from here alone,
                        // still verifying a whole body (the prefix already sent is
                        // hashed from the temporary file, which stays readable).
                        let prefix = start == 0 && end == nil ? try await hash(fill, upTo: offset) : nil
                        let reader: UpstreamReader
                        do {
                            let blob = try await fill.upstream.blob(fill.repository, digest: fill.digest, from: offset)
                            reader = UpstreamReader(blob, from: offset, digest: fill.digest, verifyingAfter: prefix)
                        } catch {
                            throw CacheError(error, notFound: .blobUnknown, upstream: fill.upstream.configuration.registry)
                        }
                        resumed = reader
                        return try await take(reader)
                    case .failed(let error):
                        throw error
                    case .connecting:
                        await fill.progress.waitForChange(after: version)
                    case .streaming(let expected, let visible):
                        if offset < visible {
                            return try await read(fill.file, available: visible)
                        }
                        // Every byte visible means verified (the last is withheld until
                        // then): done, without waiting for the fsync and the rename.
                        if let expected, visible == expected { return nil }
                        await fill.progress.waitForChange(after: version)
                    case .committed(let size):
                        return try await read(fill.file, available: size)
                    }
                }
            }
        }

        /// The next upstream chunk, cut at `end`.
        private mutating func take(_ reader: UpstreamReader) async throws -> ByteBuffer? {
            guard offset <= (end ?? .max), var chunk = try await reader.next() else { return nil }
            if let end, offset + Int64(chunk.readableBytes) > end + 1 {
                chunk = chunk.getSlice(at: chunk.readerIndex, length: Int(end + 1 - offset))!
            }
            offset += Int64(chunk.readableBytes)
            return chunk
        }

        /// The digest state of the blob's first `count` bytes, read back from the fill's file.
        private func hash(_ fill: BlobFill, upTo count: Int64) async throws -> DigestHasher {
            var hasher = DigestHasher(fill.digest.algorithm)
            var position: Int64 = 0
            while position < count {
                let buffer = try await fill.file.read(at: position, count: Int(Swift.min(Int64(BlobBody.chunkSize), count - position)), into: scratch)
                guard buffer.readableBytes > 0 else { throw CacheError(.unavailable, "blob file ended early") }
                hasher.update(buffer)
                position += Int64(buffer.readableBytes)
            }
            return hasher
        }

        /// Reads from `offset` up to `available` (and `end`); nil once a finished blob is exhausted.
        private mutating func read(_ file: BlobFile, available: Int64) async throws -> ByteBuffer? {
            let limit = Swift.min(available, (end ?? .max - 1) + 1)
            guard offset < limit else { return nil }
            let count = Int(Swift.min(Int64(BlobBody.chunkSize), limit - offset))
            let buffer = try await file.read(at: offset, count: count, into: scratch)
            guard buffer.readableBytes > 0 else { throw CacheError(.unavailable, "blob file ended early") }
            offset += Int64(buffer.readableBytes)
            return buffer
        }
    }
}
