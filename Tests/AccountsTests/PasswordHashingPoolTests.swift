#if canImport(Glibc)
import Glibc
#endif
@testable import Accounts
import Testing

@Suite struct PasswordHashingPoolTests {
    /// Hashing yields the CPU to serving: its threads run at nice 19, and the caller's
    /// thread keeps its priority (Linux nice values are per thread).
    @Test func hashingRunsAtTheLowestCPUPriority() async throws {
        #if canImport(Glibc)
        let pool = PasswordHashingPool(threads: 1, maximumQueued: 4)
        let callerBefore = getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0)
        let inPool = try await pool.run { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) }
        #expect(inPool == 19)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == callerBefore)
        #endif
    }
}
