import Foundation

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
    static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil, input: String? = nil) async throws -> ProcessResult {
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
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do {
                try process.run()
            } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
                return
            }
            if let input {
                inputPipe.fileHandleForWriting.write(Data(input.utf8))
                try? inputPipe.fileHandleForWriting.close()
            }
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
