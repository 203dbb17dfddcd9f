import Foundation
import Testing

/// Runs the official Stripe and Alipay Python SDKs (installed by
/// `scripts/payment-oracle-venv.sh`) as signing/verifying oracles.
///
/// The interpreter comes from `FERRY_PAYMENT_ORACLE_PYTHON`. Without it the
/// oracle suites are disabled, unless `FERRY_INTEGRATION=required`, in which
/// case they run and fail.
enum Oracle {
    static let environment = ProcessInfo.processInfo.environment
    static let python: String? = environment["FERRY_PAYMENT_ORACLE_PYTHON"].flatMap { $0.isEmpty ? nil : $0 }
    static let required = environment["FERRY_INTEGRATION"] == "required"
    /// Whether the oracle suites run at all.
    static let enabled = python != nil || required

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Sends one JSON request to the oracle script and returns its JSON answer.
    static func call(_ request: [String: Any]) throws -> [String: Any] {
        guard let python else {
            throw Failure(description: "FERRY_INTEGRATION=required but FERRY_PAYMENT_ORACLE_PYTHON is not set; run scripts/payment-oracle-venv.sh DIR and export FERRY_PAYMENT_ORACLE_PYTHON=DIR/bin/python")
        }
        guard FileManager.default.isExecutableFile(atPath: python) else {
            throw Failure(description: "FERRY_PAYMENT_ORACLE_PYTHON=\(python) is not an executable file")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-I", "-c", OracleScript.source]
        var childEnvironment = environment
        childEnvironment["PYTHONIOENCODING"] = "utf-8"
        childEnvironment["PYTHONDONTWRITEBYTECODE"] = "1"
        process.environment = childEnvironment
        let input = Pipe()
        let output = Pipe()
        let errorFile = FileManager.default.temporaryDirectory
            .appendingPathComponent("ferry-oracle-\(UUID().uuidString).stderr")
        guard FileManager.default.createFile(atPath: errorFile.path, contents: nil) else {
            throw Failure(description: "cannot create \(errorFile.path)")
        }
        defer { try? FileManager.default.removeItem(at: errorFile) }
        let errorHandle = try FileHandle(forWritingTo: errorFile)
        defer { try? errorHandle.close() }
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errorHandle
        try process.run()
        try input.fileHandleForWriting.write(contentsOf: JSONSerialization.data(withJSONObject: request))
        try input.fileHandleForWriting.close()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let stderr = (try? String(contentsOf: errorFile, encoding: .utf8)) ?? ""
            throw Failure(description: "oracle exited \(process.terminationStatus): \(stderr)")
        }
        guard let object = try JSONSerialization.jsonObject(with: answer) as? [String: Any] else {
            throw Failure(description: "oracle answered something other than a JSON object")
        }
        return object
    }

    /// A string member of an oracle answer.
    static func string(_ answer: [String: Any], _ key: String) throws -> String {
        guard let value = answer[key] as? String else { throw Failure(description: "oracle answer lacks \(key)") }
        return value
    }

    /// A boolean member of an oracle answer.
    static func bool(_ answer: [String: Any], _ key: String) throws -> Bool {
        guard let value = answer[key] as? Bool else { throw Failure(description: "oracle answer lacks \(key)") }
        return value
    }
}
