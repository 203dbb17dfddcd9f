import Logging

/// The loop behind the periodic writers (usage batches, limit states): `tick` every
/// `interval` until `stop()` is true or the task is cancelled, then `last` once more,
/// run to the end even when shutdown has cancelled the loop, with a few retries.
enum FlushLoop {
    static func run(
        every interval: Duration, until stop: @Sendable () -> Bool, logger: Logger, failure: String,
        tick: () async -> Void, last: @escaping @Sendable () async throws -> Void
    ) async {
        let step = Duration.milliseconds(100)
        var waited = Duration.zero
        while !stop(), !Task.isCancelled {
            do {
                try await Task.sleep(for: step)
            } catch {
                break
            }
            waited += step
            if waited >= interval {
                waited = .zero
                await tick()
            }
        }
        // A cancelled task's queries fail at once, so the last write runs in a task of
        // its own, which does not inherit the cancellation, and is awaited to the end.
        await Task {
            for attempt in 1...5 {
                do {
                    try await last()
                    return
                } catch {
                    logger.error("\(failure)", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
                    try? await Task.sleep(for: .milliseconds(200 * attempt))
                }
            }
        }.value
    }
}
