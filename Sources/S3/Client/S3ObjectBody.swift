import AsyncHTTPClient
import NIOCore

/// The bytes of a `GET` answer, as they arrive. Iterate it once; it is never buffered whole.
public struct S3ObjectBody: AsyncSequence, Sendable {
    /// Chunks of the object.
    public typealias Element = ByteBuffer

    private let body: HTTPClientResponse.Body

    init(_ body: HTTPClientResponse.Body) {
        self.body = body
    }

    /// Iterates the chunks.
    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: HTTPClientResponse.Body.AsyncIterator

        /// The next chunk, or nil at the end of the object.
        public mutating func next() async throws -> ByteBuffer? {
            try await base.next()
        }
    }

    /// Starts the iteration.
    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: body.makeAsyncIterator())
    }
}
