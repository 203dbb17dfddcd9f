import Cache
import Crypto
import Foundation
import Gateway
import NIOCore
import OCI
import Testing

/// The handoff that lets a response hand a cached blob to sendfile(2): markers stand for
/// registered regions, nothing leaks when a connection goes away.
@Suite struct FileRegionHandoffTests {
    func cachedFile() throws -> BlobFile {
        let root = NSTemporaryDirectory() + "ferry-handoff-\(UUID().uuidString)"
        let store = try FileSystemBlobStore(root: root)
        let bytes = Array("hello, sendfile".utf8)
        let digest = try Digest(parsing: "sha256:" + SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined())
        let path = store.path(for: digest)
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return try #require(try store.open(digest))
    }

    @Test func markersStandForRegisteredRegionsOnly() throws {
        let handoff = FileRegionHandoff()
        let file = try cachedFile()
        let marker = try handoff.register(file, offset: 7, length: 8)
        #expect(marker.readableBytes == 16 && handoff.pendingCount == 1)
        // Sixteen bytes that are not a registered marker stay what they are.
        #expect(handoff.takeForTesting(ByteBuffer(bytes: Array(repeating: 0x46, count: 16))) == nil)
        let region = try #require(handoff.takeForTesting(marker))
        #expect(region == 7..<15)
        #expect(handoff.pendingCount == 0)
        #expect(handoff.takeForTesting(marker) == nil)  // taken once
    }

    @Test func aClosedConnectionDiscardsAndRefusesRegions() throws {
        let handoff = FileRegionHandoff()
        let file = try cachedFile()
        _ = try handoff.register(file, offset: 0, length: 4)
        handoff.closeForTesting()
        #expect(handoff.pendingCount == 0)
        #expect(throws: ChannelError.self) { _ = try handoff.register(file, offset: 0, length: 4) }
    }
}
