import Synchronization

/// The observable progress of one blob download, shared by the task that fills it and
/// every client reading along. No I/O: the fill publishes, readers wait for changes.
public final class FillProgress: Sendable {
    /// Where a download stands.
    public enum Phase: Sendable, Equatable {
        /// Waiting for the upstream's response head.
        case connecting
        /// Receiving; `visibleBytes` may be read from the temporary file.
        case streaming(expectedSize: Int64?, visibleBytes: Int64)
        /// Verified and published; all `size` bytes may be read.
        case committed(size: Int64)
        /// Abandoned; readers must fail with this error.
        case failed(CacheError)
    }

    private struct State {
        var phase: Phase = .connecting
        var version: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
        var nextWaiterID: UInt64 = 0
    }

    private let state = Mutex(State())

    /// Creates progress in the `connecting` phase.
    public init() {}

    /// The current phase and a version number that changes on every update.
    public func snapshot() -> (phase: Phase, version: UInt64) {
        state.withLock { ($0.phase, $0.version) }
    }

    /// Publishes a new phase and wakes every waiting reader. A finished download
    /// (committed or failed) never changes again.
    public func update(_ phase: Phase) {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            switch state.phase {
            case .committed, .failed: return []
            case .connecting, .streaming: break
            }
            state.phase = phase
            state.version &+= 1
            let waiters = Array(state.waiters.values)
            state.waiters.removeAll()
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns once the version differs from `version` (at once if it already does) or
    /// the calling task is cancelled.
    public func waitForChange(after version: UInt64) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiterID &+= 1
            return state.nextWaiterID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.version != version || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }

    /// Bytes readers may see so far (0 before streaming).
    public var visibleBytes: Int64 {
        switch snapshot().phase {
        case .connecting, .failed: 0
        case .streaming(_, let visible): visible
        case .committed(let size): size
        }
    }

    /// Readers waiting for a change right now (for tests and metrics).
    public var waitingReaders: Int { state.withLock { $0.waiters.count } }

    /// Waits until the response head is known: returns the expected size (nil when the
    /// upstream did not announce one) or throws the download's error.
    public func waitForHead() async throws -> Int64? {
        while true {
            try Task.checkCancellation()
            let (phase, version) = snapshot()
            switch phase {
            case .connecting: await waitForChange(after: version)
            case .streaming(let expectedSize, _): return expectedSize
            case .committed(let size): return size
            case .failed(let error): throw error
            }
        }
    }
}
