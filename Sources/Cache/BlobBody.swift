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

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(source: source, offset: start, end: end, lease: lease)
    }

    /// Reads the next chunk, waiting for a download to make more bytes visible.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let source: Source
        var offset: Int64
        let end: Int64?
        let lease: ReadLease?
        let scratch = ReadBuffer()
        /// Set when this reader streams from the upstream itself (its download stopped).
        var resumed: UpstreamReader?

        public mutating func next() async throws -> ByteBuffer? {
            if let resumed { return try await take(resumed) }
            switch source {
            case .file(let file, let size):
                return try await read(file, available: size)
            case .upstream(let reader):
                return try await take(reader)
            case .fill(let fill):
                while true {
                    try Task.checkCancellation()
                    let (phase, version) = fill.progress.snapshot()
                    switch phase {
                    case .failed(let error) where error.kind == .diskFull:
                        // The shared download stopped writing: carry on from here alone.
                        let reader: UpstreamReader
                        do {
                            let blob = try await fill.upstream.blob(fill.repository, digest: fill.digest, from: offset)
                            reader = UpstreamReader(blob, from: offset, digest: fill.digest)
                        } catch {
                            throw CacheError(error, notFound: .blobUnknown, upstream: fill.upstream.configuration.registry)
                        }
                        resumed = reader
                        return try await take(reader)
                    case .failed(let error):
                        throw error
                    case .connecting:
                        await fill.progress.waitForChange(after: version)
                    case .streaming(_, let visible):
                        if offset < visible, offset <= (end ?? .max) {
                            return try await read(fill.file, available: visible)
                        }
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
