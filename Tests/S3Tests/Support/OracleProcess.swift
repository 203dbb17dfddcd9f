import Foundation

/// Runs the botocore oracle script with a JSON file of cases and decodes its answer.
enum OracleProcess {
    struct Case: Codable, Sendable {
        var name: String
        var method: String
        var endpoint: String
        var bucket: String
        var key: String?
        var params: [[String]] = []
        var headers: [String: String] = [:]
        var body: String = ""
        var unsigned: Bool = false
        var presign_expires: Int? = nil
        var access_key: String
        var secret_key: String
        var token: String? = nil
        var region: String = "us-east-1"
        var timestamp: String
    }

    struct Result: Codable, Sendable {
        var name: String
        var url: String?
        var authorization: String?
        var canonical_request: String?
        var string_to_sign: String?
        var content_sha256: String?
    }

    struct Answer: Codable, Sendable {
        var botocore: String
        var results: [Result]
    }

    static func run(python: String, cases: [Case]) throws -> Answer {
        guard let script = Bundle.module.url(forResource: "Fixtures/botocore-oracle", withExtension: "py") else {
            throw CocoaError(.fileNoSuchFile)
        }
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("s3-oracle-\(UUID().uuidString).json")
        try JSONEncoder().encode(cases).write(to: input)
        defer { try? FileManager.default.removeItem(at: input) }
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("s3-oracle-\(UUID().uuidString).out")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        defer { try? FileManager.default.removeItem(at: output) }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script.path, input.path]
        process.standardOutput = try FileHandle(forWritingTo: output)
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw OracleFailure(message: "botocore oracle exited \(process.terminationStatus): \(errorText)")
        }
        return try JSONDecoder().decode(Answer.self, from: Data(contentsOf: output))
    }

    struct OracleFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }
}
