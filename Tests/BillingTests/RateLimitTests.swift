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

    @Test func resizingKeepsWhatWasTakenAndCounted() {
        let clock = TestClock()
        var bucket = TokenBucket(capacity: 3, refillPerSecond: 1, now: clock.now)
        for _ in 0..<3 { #expect(bucket.take(now: clock.now) == nil) }
        clock.advance(by: 1)
        var bigger = bucket.resized(capacity: 100, refillPerSecond: 10, now: clock.now)
        #expect(bigger.tokens == 1)  // refilled at the old rate until now, not to the new capacity
        #expect(bigger.take(now: clock.now) == nil)
        #expect(bigger.take(now: clock.now) == 0.1)
        #expect(TokenBucket(capacity: 3, refillPerSecond: 1, tokens: 7, updated: clock.now).tokens == 3)

        var window = WindowCounter(limit: 2, length: 3600)
        #expect(window.record(now: clock.now) == nil)
        var resized = window.resized(limit: 5, length: 7200)
        #expect(resized.remaining(now: clock.now) == 4)
        clock.advance(by: 7200)
        #expect(resized.remaining(now: clock.now) == 5)
        #expect(WindowCounter(limit: 2, length: 60, windowStart: nil, count: 9).count == 0)
    }
}
