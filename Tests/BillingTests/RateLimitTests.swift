import Billing
import FerryTestSupport
import Foundation
import Testing

@Suite struct RateLimitTests {
    @Test func tokenBucketAllowsABurstThenTheRate() {
        let clock = TestClock()
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 1, now: clock.now)
        #expect(bucket.take(now: clock.now) == nil)
        #expect(bucket.take(now: clock.now) == nil)
        #expect(bucket.take(now: clock.now) == nil)
        #expect(bucket.take(now: clock.now) == 1)
        clock.advance(by: 0.5)
        #expect(bucket.take(now: clock.now) == 0.5)
        clock.advance(by: 0.5)
        #expect(bucket.take(now: clock.now) == nil)
        clock.advance(by: 100)
        for _ in 0..<3 { #expect(bucket.take(now: clock.now) == nil) }  // never more than the capacity
        #expect(bucket.take(now: clock.now) != nil)
    }

    @Test func windowCountsUpToTheLimitAndResets() {
        let clock = TestClock()
        var window = WindowCounter(limit: 2, length: 3600)
        #expect(window.record(now: clock.now) == nil)
        clock.advance(by: 10)
        #expect(window.record(now: clock.now) == nil)
        #expect(window.remaining(now: clock.now) == 0)
        #expect(window.record(now: clock.now) == 3590)
        clock.advance(by: 3590)
        #expect(window.remaining(now: clock.now) == 2)
        #expect(window.record(now: clock.now) == nil)
        #expect(window.remaining(now: clock.now) == 1)
    }
}
