import Foundation
import Logging

extension SubscriberLimits {
    /// Reads the user's stored bucket and window the first time the user is seen since
    /// start-up; afterwards it does nothing.
    func loadLimitState(_ standing: Standing) async throws {
        let userID = standing.userID
        guard !users.withLock({ $0[userID]?.stateLoaded ?? false }) else { return }
        let stored = try await states.limitState(userID: userID)
        let plan = standing.plan
        users.withLock { users in
            var state = users[userID] ?? UserState()
            guard !state.stateLoaded else { return }  // another request loaded it meanwhile
            state.stateLoaded = true
            if let stored, state.bucket == nil, state.manifestWindow == nil {
                let capacity = Double(plan.requestsPerMinute)
                state.bucket = TokenBucket(capacity: capacity, refillPerSecond: capacity / 60, tokens: stored.bucketTokens, updated: stored.bucketUpdated)
                state.manifestWindow = WindowCounter(
                    limit: plan.manifestPullsPerWindow, length: TimeInterval(plan.manifestWindowSeconds), windowStart: stored.windowStart, count: stored.windowCount
                )
            }
            users[userID] = state
        }
    }

    /// Writes back the buckets and windows that changed since the last call, in one
    /// statement. On failure they stay marked and go with the next call.
    public func saveLimitState() async throws {
        let userIDs = changedUsers.withLock { changed in
            defer { changed.removeAll() }
            return changed
        }
        guard !userIDs.isEmpty else { return }
        let changed: [Int64: LimitState] = users.withLock { users in
            var changed: [Int64: LimitState] = [:]
            for userID in userIDs {
                guard let state = users[userID], let bucket = state.bucket else { continue }
                changed[userID] = LimitState(
                    bucketTokens: bucket.tokens, bucketUpdated: bucket.updated,
                    windowStart: state.manifestWindow?.windowStart, windowCount: state.manifestWindow?.count ?? 0
                )
            }
            return changed
        }
        do {
            try await states.saveLimitStates(changed, now: now())
        } catch {
            changedUsers.withLock { $0.formUnion(userIDs) }
            throw error
        }
    }

    /// Writes back changed buckets and windows every `interval` until `stop()` is true
    /// or the task is cancelled, then once more, so a graceful restart keeps them all.
    public func run(every interval: Duration, logger: Logger, until stop: @Sendable () -> Bool) async {
        await FlushLoop.run(every: interval, until: stop, logger: logger, failure: "saving rate-limit windows failed") {
            do {
                try await saveLimitState()
            } catch {
                logger.warning("saving rate-limit windows failed; will retry", metadata: ["error": "\(error)"])
            }
        } last: {
            try await self.saveLimitState()
        }
    }
}
