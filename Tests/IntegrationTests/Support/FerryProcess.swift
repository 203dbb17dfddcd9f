import AsyncHTTPClient
import Foundation

/// The real `ferry serve` binary, started for a test with the test registry as its one
/// upstream (`registry.test`), and waited for until `/healthz` answers. With `niceness`
/// it runs at that lower priority (a load test then leaves the other tests, which run
/// in parallel, their CPU); with `fileDescriptors`, under those limits (as a service
/// manager would start it). With `log`, its output goes to that file.
enum FerryProcess {
    static func serve(
        port: Int, dataDirectory: String, upstream: String, environment: [String: String], niceness: Int? = nil,
        fileDescriptors: (soft: Int, hard: Int)? = nil, log: String? = nil
    ) async throws -> Process {
        let process = Process()
        let arguments = ["serve", "--port", String(port), "--data-dir", dataDirectory]
        if let fileDescriptors {
            // The shell sets the limits and execs ferry, so the process id stays ferry's.
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            let limits = "ulimit -S -n \(fileDescriptors.soft) && ulimit -H -n \(fileDescriptors.hard)"
            process.arguments = ["-c", "\(limits) && exec \"$0\" \"$@\"", CrashSafetyTests.binary] + arguments
        } else if let niceness {
            // nice execs ferry, so the process id stays ferry's.
            process.executableURL = URL(fileURLWithPath: "/usr/bin/nice")
            process.arguments = ["-n", String(niceness), CrashSafetyTests.binary] + arguments
        } else {
            process.executableURL = URL(fileURLWithPath: CrashSafetyTests.binary)
            process.arguments = arguments
        }
        process.environment = ProcessInfo.processInfo.environment.merging([
            "FERRY_UPSTREAMS": "local",
            "FERRY_UPSTREAM_LOCAL_REGISTRY": "registry.test",
            "FERRY_UPSTREAM_LOCAL_URL": upstream,
            "FERRY_LOG_LEVEL": "warning",
        ].merging(environment) { $1 }) { $1 }
        let logHandle = log.flatMap { FileManager.default.createFile(atPath: $0, contents: nil) ? FileHandle(forWritingAtPath: $0) : nil }
        process.standardOutput = logHandle ?? FileHandle.nullDevice
        process.standardError = logHandle ?? FileHandle.nullDevice
        try process.run()
        for _ in 0..<200 {
            guard process.isRunning else { throw ServerDidNotStart() }
            if let response = try? await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/healthz"), timeout: .seconds(1)),
               response.status == .ok {
                return process
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        throw ServerDidNotStart()
    }
}
