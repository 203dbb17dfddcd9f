import Synchronization

/// Runs work with a deadline on its answer, not on the work: past the deadline the
/// caller gets nil at once while the work goes on (a database call stuck on a dying
/// connection must not hold a provider's request open).
enum Deadline {
    /// The work's result, or nil when it did not finish within `limit`.
    static func run<T: Sendable>(within limit: Duration, _ work: @escaping @Sendable () async throws -> T) async -> Result<T, any Error>? {
        await withCheckedContinuation { continuation in
            let once = ResumeOnce(continuation)
            Task {
                do {
                    once.resume(.success(try await work()))
                } catch {
                    once.resume(.failure(error))
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                once.resume(nil)
            }
        }
    }

    /// Resumes a continuation the first time only.
    private final class ResumeOnce<T: Sendable>: Sendable {
        private let continuation: Mutex<CheckedContinuation<Result<T, any Error>?, Never>?>

        init(_ continuation: CheckedContinuation<Result<T, any Error>?, Never>) {
            self.continuation = Mutex(continuation)
        }

        func resume(_ value: Result<T, any Error>?) {
            continuation.withLock { pending in
                defer { pending = nil }
                return pending
            }?.resume(returning: value)
        }
    }
}
