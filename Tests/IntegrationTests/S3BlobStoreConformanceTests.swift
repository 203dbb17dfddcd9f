import FerryTestSupport
import Foundation
import Testing

@testable import FerryServer

/// The S3 blob store against the same `BlobStoreConformance` as the local disk and the
/// in-memory store, on the radosgw the test script starts: sizes, whole and ranged
/// reads, an upload invisible until complete, an aborted one never visible, removal.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct S3BlobStoreConformanceTests {
    @Test func theS3StoreConformsOnRadosgw() async throws {
        let environment = try SharedStoreEnvironment.require()
        let scratch = temporaryDirectory("s3-conformance")
        try await environment.withClient { client in
            let store = S3BlobStore(client: client, prefix: SharedStoreEnvironment.uniquePrefix("conformance"))
            try await BlobStoreConformance.run(store, scratch: scratch)
        }
    }
}
