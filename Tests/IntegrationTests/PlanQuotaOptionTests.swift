import Foundation
import Testing

/// `--quota` sizes that do not fit in 63 bits end the CLI with a one-line error instead
/// of a trap (review L9), with the real binary.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct PlanQuotaOptionTests {
    @Test func oversizedOrNonNumericQuotasAreRefusedWithoutACrash() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        #expect(try await ProcessRunner.run(CrashSafetyTests.binary, ["migrate"], environment: ["FERRY_DATABASE_URL": database]).succeeded)
        for quota in ["1e30GiB", "infGiB", "nanGiB", "9223372036854775807KiB"] {
            let result = try await ProcessRunner.run(
                CrashSafetyTests.binary, ["plan", "add", "huge", "--price", "1.00", "--quota", quota], environment: ["FERRY_DATABASE_URL": database]
            )
            #expect(result.status != 0, "\(quota)")
            let firstLine = result.error.split(separator: "\n").first.map(String.init) ?? ""
            #expect(firstLine == "Error: --quota: \"\(quota)\" is not a size like 50GiB", "\(quota): \(result.error)")
            #expect(!result.error.contains("Fatal error") && !result.error.contains("Stack dump"), "\(quota): \(result.error)")
        }
    }
}
