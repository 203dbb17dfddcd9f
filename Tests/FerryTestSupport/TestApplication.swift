import FerryServer
import Foundation
import Logging

/// A configuration for tests, read through the same keys an operator sets: a fresh data
/// directory, an ephemeral port on loopback, `open` mode, and `values` on top.
public func testConfiguration(_ values: [String: String] = [:]) async throws -> FerryConfiguration {
    var all = [
        "listen.host": "127.0.0.1", "listen.port": "0", "access-mode": "open",
        "data-dir": NSTemporaryDirectory() + "ferry-test-\(UUID().uuidString)",
        // In-process servers share a busy test process with every other test: a test's
        // client may be slower than a real one, so the listener deadlines (tested on
        // their own, with their defaults) are generous here unless a test sets them.
        "listen.header-timeout": "300s", "listen.idle-timeout": "3600s", "listen.body-timeout": "3600s",
    ]
    all.merge(values) { $1 }
    return try await FerryConfiguration(all)
}

/// A logger that drops everything.
public let quietTestLogger = Logger(label: "ferry-tests", factory: { _ in SwiftLogNoOpLogHandler() })
