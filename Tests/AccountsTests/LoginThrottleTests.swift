import Accounts
import FerryTestSupport
import Foundation
import Testing

/// The reserve-then-settle rule the authenticator uses (review D5): attempts are
/// reserved before they are checked, so concurrent guesses count; a failure counts
/// against every key; a success clears only the keys it is told to.
@Suite struct LoginThrottleTests {
    let clock = TestClock()

    @Test func locksAfterTheLimitAndBacksOffExponentially() {
        let throttle = LoginThrottle(maxFailures: 3, window: 600, baseLockout: 10, maxLockout: 40)
        func fail() {
            #expect(throttle.reserve(["user:a"], now: clock.now) == nil)
            throttle.settle(["user:a"], failed: true, now: clock.now)
        }
        for _ in 0..<2 { fail() }
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == nil)
        fail()
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 10)
        #expect(throttle.reserve(["user:a"], now: clock.now) == 10)
        clock.advance(by: 10)
        fail()
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 20)
        clock.advance(by: 20)
        fail()
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 40)
        clock.advance(by: 40)
        fail()
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 40)  // capped
        #expect(throttle.retryAfter(["user:b"], now: clock.now) == nil)
    }

    @Test func concurrentReservationsAdmitNoMoreThanTheFailuresLeft() {
        let throttle = LoginThrottle(maxFailures: 3, window: 600, baseLockout: 30, maxLockout: 600)
        let admitted = (0..<10).filter { _ in throttle.reserve(["user:a"], now: clock.now) == nil }.count
        #expect(admitted == 3)
        for _ in 0..<admitted { throttle.settle(["user:a"], failed: true, now: clock.now) }
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 30)
        // After the lockout, one attempt at a time.
        clock.advance(by: 30)
        #expect(throttle.reserve(["user:a"], now: clock.now) == nil)
        #expect(throttle.reserve(["user:a"], now: clock.now) == 1)
    }

    @Test func aSuccessClearsOnlyTheKeysItIsToldTo() {
        let throttle = LoginThrottle(maxFailures: 2, window: 600, baseLockout: 10, maxLockout: 40)
        let keys = ["user-client:a|10.0.0.1", "user:a"]
        #expect(throttle.reserve(keys, now: clock.now) == nil)
        throttle.settle(keys, failed: true, now: clock.now)
        #expect(throttle.reserve(keys, now: clock.now) == nil)
        throttle.settle(keys, failed: false, clearing: ["user-client:a|10.0.0.1"], now: clock.now)
        // The shared per-username count kept its failure: one more fails it.
        #expect(throttle.reserve(["user:a"], now: clock.now) == nil)
        throttle.settle(["user:a"], failed: true, now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == 10)
        #expect(throttle.retryAfter(["user-client:a|10.0.0.1"], now: clock.now) == nil)
        // A success that clears nothing leaves the count as it is.
        let other = LoginThrottle(maxFailures: 2, window: 600, baseLockout: 10, maxLockout: 40)
        #expect(other.reserve(["k"], now: clock.now) == nil)
        other.settle(["k"], failed: true, now: clock.now)
        #expect(other.reserve(["k"], now: clock.now) == nil)
        other.settle(["k"], failed: false, now: clock.now)
        #expect(other.reserve(["k"], now: clock.now) == nil)
        other.settle(["k"], failed: true, now: clock.now)
        #expect(other.retryAfter(["k"], now: clock.now) == 10)
    }

    @Test func oldFailuresExpire() {
        let throttle = LoginThrottle(maxFailures: 2, window: 60, baseLockout: 10, maxLockout: 40)
        #expect(throttle.reserve(["user:a"], now: clock.now) == nil)
        throttle.settle(["user:a"], failed: true, now: clock.now)
        clock.advance(by: 61)
        #expect(throttle.reserve(["user:a"], now: clock.now) == nil)
        throttle.settle(["user:a"], failed: true, now: clock.now)
        #expect(throttle.retryAfter(["user:a"], now: clock.now) == nil)
    }
}
