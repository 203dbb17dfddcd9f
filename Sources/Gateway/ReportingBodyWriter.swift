import HTTPTypes
import Hummingbird
import NIOCore

/// A body writer that reports the size of every chunk once the connection has taken it
/// (for the access log's byte count and for metering what was really sent), file
/// regions included.
struct ReportingBodyWriter: FileRegionBodyWriter {
    var parent: any ResponseBodyWriter
    let sent: @Sendable (Int) -> Void

    mutating func write(_ buffer: ByteBuffer) async throws {
        try await parent.write(buffer)
        sent(buffer.readableBytes)
    }

    mutating func writeFileRegion(marker: ByteBuffer, length: Int) async throws {
        try await Gateway.writeFileRegion(to: &parent, marker: marker, length: length)
        sent(length)
    }

    consuming func finish(_ trailingHeaders: HTTPFields?) async throws {
        try await parent.finish(trailingHeaders)
    }
}

/// A body writer that can pass on a file region (as its `FileRegionHandoff` marker)
/// knowing how many bytes it stands for.
protocol FileRegionBodyWriter: ResponseBodyWriter {
    mutating func writeFileRegion(marker: ByteBuffer, length: Int) async throws
}

/// Writes a file region marker to `writer`, telling wrappers that count bytes its real
/// length.
func writeFileRegion(to writer: inout any ResponseBodyWriter, marker: ByteBuffer, length: Int) async throws {
    if var counting = writer as? any FileRegionBodyWriter {
        try await counting.writeFileRegion(marker: marker, length: length)
        writer = counting
    } else {
        try await writer.write(marker)
    }
}
