import Cache
import FerryTestSupport
import Foundation
import Logging
import NIOCore
import OCI

/// A fresh data directory under the system temp directory.
func makeDataDirectory() -> String {
    let path = NSTemporaryDirectory() + "ferry-cache-tests-\(UUID().uuidString)"
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}

let testLogger = Logger(label: "ferry-tests", factory: { _ in SwiftLogNoOpLogHandler() })

/// Runs `body` with a blob cache whose download loop is running.
func withBlobCache<T: Sendable>(
    root: String = makeDataDirectory(),
    inventory: CacheInventory? = nil,
    _ body: @Sendable (PullThroughBlobCache) async throws -> T
) async throws -> T {
    let cache = PullThroughBlobCache(store: try FileSystemBlobStore(root: root), logger: testLogger, inventory: inventory)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await cache.run() }
        defer { cache.finish() }
        return try await body(cache)
    }
}

/// Reads a whole body into memory (tests only).
func collect(_ body: BlobBody) async throws -> [UInt8] {
    var bytes: [UInt8] = []
    for try await chunk in body {
        bytes.append(contentsOf: chunk.readableBytesView)
    }
    return bytes
}

let testRepository = try! RepositoryName(parsing: "team/app")

func temporaryFiles(in root: String) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: root + "/tmp")) ?? []
}
