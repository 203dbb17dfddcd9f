import Foundation
import Synchronization
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The outcome of a finished child process.
struct ProcessResult: Sendable {
    let status: Int32
    let output: String
    let error: String

    var succeeded: Bool { status == 0 }
}

/// Runs child processes without blocking a Swift concurrency thread (the in-process
/// servers under test share the cooperative pool).
enum ProcessRunner {
    /// Runs `executable` to its end; past `timeout` seconds it is killed and the run
    /// recorded as a failure (a command that hangs fails its test, not the suite).
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil, timeout: Double = 300
    ) async throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-proc-\(UUID().uuidString).out")
        let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("ferry-proc-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outputFile.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
        defer {
            try? FileManager.default.removeItem(at: outputFile)
            try? FileManager.default.removeItem(at: errorFile)
        }
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: errorFile)
        let inputPipe = Pipe()
        process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
        let finished = Flag()
        let timedOut = Flag()
        var watchdog: Task<Void, Never>?
        defer { watchdog?.cancel() }
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = {
                finished.set()
                continuation.resume(returning: $0.terminationStatus)
            }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            let pid = process.processIdentifier
            watchdog = Task {
                try? await Task.sleep(for: .seconds(timeout))
                guard !Task.isCancelled, !finished.isSet else { return }
                timedOut.set()
                kill(pid, SIGKILL)
            }
            if let input {
                inputPipe.fileHandleForWriting.write(Data(input.utf8))
                try? inputPipe.fileHandleForWriting.close()
            }
        }
        if timedOut.isSet {
            Issue.record("\(executable) \(arguments.prefix(3).joined(separator: " ")) did not finish within \(timeout) s; killed")
        }
        return ProcessResult(
            status: status,
            output: (try? String(contentsOf: outputFile, encoding: .utf8)) ?? "",
            error: (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
        )
    }

    /// `skopeo copy` from a plain-HTTP registry on loopback into a `dir:` layout.
    static func skopeoPull(_ reference: String, to directory: String, all: Bool = false, credentials: String? = nil) async throws -> ProcessResult {
        var arguments = ["copy", "--quiet", "--src-tls-verify=false", "--retry-times", "0"]
        if all { arguments.append("--all") }
        if let credentials { arguments += ["--src-creds", credentials] } else { arguments.append("--src-no-creds") }
        arguments += ["docker://\(reference)", "dir:\(directory)"]
        return try await run("/usr/bin/skopeo", arguments)
    }
}

extension Process {
    /// Waits for the process to exit without holding a Swift concurrency thread (a
    /// blocked `waitUntilExit()` takes one of the few the whole test process shares).
    /// Past `seconds` the process is killed and the wait recorded as a failure, so a
    /// server that does not stop fails its test instead of hanging the suite.
    func exit(within seconds: Double = 60) async {
        let deadline = ContinuousClock.now + .seconds(seconds)
        while isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard isRunning else { return }
        Issue.record("\(executableURL?.lastPathComponent ?? "process") \(processIdentifier) did not exit within \(seconds) s; killed")
        kill(processIdentifier, SIGKILL)
        while isRunning { try? await Task.sleep(for: .milliseconds(20)) }
    }
}

/// A flag set once, from any thread.
final class Flag: Sendable {
    private let state = Mutex(false)

    var isSet: Bool { state.withLock { $0 } }

    func set() {
        state.withLock { $0 = true }
    }
}
