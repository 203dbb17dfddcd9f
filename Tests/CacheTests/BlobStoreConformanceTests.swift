import Cache
import FerryTestSupport
import Foundation
import Testing

/// Every `BlobStore` behaves alike: the local disk and the in-memory store (the object
/// store runs the same suite against a real S3 server in the integration tests).
@Suite struct BlobStoreConformanceTests {
    @Test func theFileSystemStoreConforms() async throws {
        let root = makeDataDirectory()
        try await BlobStoreConformance.run(try FileSystemBlobStore(root: root), scratch: root + "/tmp")
    }

    @Test func theInMemoryStoreConforms() async throws {
        try await BlobStoreConformance.run(InMemoryBlobStore(chunkSize: 1000), scratch: makeDataDirectory())
    }
}
