import Accounts
import FerryTestSupport
import Foundation
import Testing

@Suite struct LoginThrottleTests {
    @Test func locksAfterTheLimitAndBacksOffExponentially() {
        let clock = TestClock()
        let throttle = LoginThrottle(maxFailures: 3, window: 600, baseLockout: 10, maxLockout: 40)
        for _ in 0..<2 { throttle.recordFailure(["user:a"], now: clock.now) }
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == nil)
        throttle.recordFailure(["user:a"], now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 10)
        clock.advance(by: 10)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == nil)
        throttle.recordFailure(["user:a"], now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 20)
        clock.advance(by: 20)
        throttle.recordFailure(["user:a"], now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 40)
        clock.advance(by: 40)
        throttle.recordFailure(["user:a"], now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 40)  // capped
        #expect(throttle.retryAfter(["user:b"], now: clock.now) == nil)
    }

    @Test func successClearsAndOldFailuresExpire() {
        let clock = TestClock()
        let throttle = LoginThrottle(maxFailures: 2, window: 60, baseLockout: 10, maxLockout: 40)
        throttle.recordFailure(["user:a"], now: clock.now)
        throttle.recordSuccess("user:a")
        throttle.recordFailure(["user:a"], now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == nil)
        clock.advance(by: 61)
        throttle.recordFailure(["user:a"], now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == nil)
    }
}
