import Cache
import NIOCore
import Synchronization

/// Passes file regions from a response body to its connection's pipeline, so a cached
/// blob is sent with `sendfile(2)` instead of being copied through user space.
///
/// Hummingbird's response writer only carries `ByteBuffer`s, so a body writes a small
/// marker buffer instead of the bytes; `FileRegionHandler`, low in the same
/// connection's pipeline, swaps the marker for the registered region. One handoff per
/// connection: whatever is still registered when the connection goes away is closed.
public final class FileRegionHandoff: Sendable {
    /// A region waiting for its marker to reach the pipeline.
    private struct Pending: @unchecked Sendable {
        // Unchecked: the handle is owned by this entry until it is taken (by the
        // handler, which then closes it after the write) or discarded (closed here);
        // the Mutex makes those two exclusive.
        let handle: NIOFileHandle
        let region: FileRegion
    }

    private struct State {
        var pending: [UInt64: Pending] = [:]
        /// False once the connection is gone: nothing may be registered any more.
        var open = true
    }

    private let state = Mutex(State())
    static let magic: UInt64 = 0x4645_5252_5952_474E  // "FERRYRGN"
    static let markerSize = 16

    /// Creates an empty handoff.
    public init() {}

    /// Registers `length` bytes of `file` from `offset` and returns the marker to write
    /// in their place. The file is duplicated, so the region stays readable however the
    /// body's own descriptor fares.
    public func register(_ file: BlobFile, offset: Int64, length: Int) throws -> ByteBuffer {
        let descriptor = try file.duplicateDescriptor()
        let handle = NIOFileHandle(_deprecatedTakingOwnershipOfDescriptor: descriptor)
        let region = FileRegion(fileHandle: handle, readerIndex: Int(offset), endIndex: Int(offset) + length)
        var id = UInt64.random(in: 1...UInt64.max)
        let accepted = state.withLock { state in
            guard state.open else { return false }
            while state.pending[id] != nil { id = UInt64.random(in: 1...UInt64.max) }
            state.pending[id] = Pending(handle: handle, region: region)
            return true
        }
        guard accepted else {
            try? handle.close()
            throw ChannelError.ioOnClosedChannel
        }
        var marker = ByteBuffer()
        marker.writeInteger(Self.magic)
        marker.writeInteger(id)
        return marker
    }

    /// The region a marker stands for, now owned by the caller (close its handle after
    /// the write); nil when `buffer` is not a registered marker.
    func take(_ buffer: ByteBuffer) -> (FileRegion, NIOFileHandle)? {
        guard buffer.readableBytes == Self.markerSize, buffer.getInteger(at: buffer.readerIndex, as: UInt64.self) == Self.magic,
              let id = buffer.getInteger(at: buffer.readerIndex + 8, as: UInt64.self),
              let entry = state.withLock({ $0.pending.removeValue(forKey: id) })
        else { return nil }
        return (entry.region, entry.handle)
    }

    /// Closes every region still registered and refuses new ones (the connection is gone).
    func discardAll() {
        let entries = state.withLock { state in
            state.open = false
            defer { state.pending.removeAll() }
            return Array(state.pending.values)
        }
        for entry in entries { try? entry.handle.close() }
    }

    deinit {
        for entry in state.withLock({ $0.pending.values }) { try? entry.handle.close() }
    }

    /// Takes a marker's region and closes it at once, returning its byte range (tests).
    public func takeForTesting(_ buffer: ByteBuffer) -> Range<Int>? {
        guard let (region, handle) = take(buffer) else { return nil }
        try? handle.close()
        return region.readerIndex..<region.endIndex
    }

    /// As when the connection goes away (tests).
    public func closeForTesting() {
        discardAll()
    }

    /// Regions registered and not yet taken (for tests).
    public var pendingCount: Int { state.withLock { $0.pending.count } }
}
