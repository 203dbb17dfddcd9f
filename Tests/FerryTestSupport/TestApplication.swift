import FerryServer
import Foundation
import Logging

/// A configuration for tests, read through the same keys an operator sets: a fresh data
/// directory, an ephemeral port on loopback, `open` mode, and `values` on top.
public func testConfiguration(_ values: [String: String] = [:]) async throws -> FerryConfiguration {
    var all = [
        "listen.host": "127.0.0.1", "listen.port": "0", "access-mode": "open",
        "data-dir": NSTemporaryDirectory() + "ferry-test-\(UUID().uuidString)",
    ]
    all.merge(values) { $1 }
    return try await FerryConfiguration(all)
}

/// A logger that drops everything.
public let quietTestLogger = Logger(label: "ferry-tests", factory: { _ in SwiftLogNoOpLogHandler() })
