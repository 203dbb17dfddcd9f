import Foundation
import Testing

@testable import Portal

/// The portal's per-client request limit (security review S9): IPv6 clients are counted
/// per /64 and, with a higher ceiling, per /48, so one holder of a /48 cannot hammer the
/// portal from 65,536 networks.
struct PortalRateLimiterTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func admitted(_ limiter: PortalRateLimiter, _ client: String, times: Int) -> Int {
        (0..<times).filter { _ in (try? limiter.admit(client)) != nil }.count
    }

    @Test func eachClientHasItsOwnMinute() {
        let limiter = PortalRateLimiter(requestsPerMinute: 10, now: { [now] in now })
        #expect(admitted(limiter, "10.0.0.1", times: 15) == 10)
        #expect(admitted(limiter, "10.0.0.2", times: 15) == 10)
        #expect(throws: PortalError.self) { try limiter.admit("10.0.0.1") }
    }

    @Test func oneSlash48IsCountedAsAWholeWithAHigherCeiling() {
        let limiter = PortalRateLimiter(requestsPerMinute: 10, now: { [now] in now })
        // 100 different /64s in one /48: each stays under its own limit.
        let admittedInOne48 = (0..<100).map { admitted(limiter, "2001:db8:7:\(String($0, radix: 16))::/64", times: 5) }.reduce(0, +)
        #expect(admittedInOne48 == 10 * PortalRateLimiter.wideCeilingFactor)  // before: 500
        // Another /48 is not held by the first.
        #expect(admitted(limiter, "2001:db8:8:1::/64", times: 5) == 5)
    }
}
