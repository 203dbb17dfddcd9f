import HTTPTypes
import Hummingbird
import NIOCore

/// A body writer that reports the size of every chunk once the connection has taken it
/// (for the access log's byte count and for metering what was really sent).
struct ReportingBodyWriter: ResponseBodyWriter {
    var parent: any ResponseBodyWriter
    let sent: @Sendable (Int) -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await parent.write(buffer)
        sent(buffer.readableBytes)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await parent.finish(trailingHeaders)
    }
}
