import Gateway
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

/// The listener's deadlines and per-address cap (review S4), on channels whose clock the
/// test moves: a request head, a body and a kept-alive connection each have a deadline,
/// and an answer in progress has none.
@Suite struct ListenerProtectionTests {
    let timeouts = RequestTimeoutHandler.Timeouts(header: .seconds(10), idle: .seconds(60), body: .seconds(30))

    func connectedChannel() async throws -> NIOAsyncTestingChannel {
        let channel = NIOAsyncTestingChannel()
        let timeouts = self.timeouts
        try await channel.testingEventLoop.executeInContext { try channel.pipeline.syncOperations.addHandler(RequestTimeoutHandler(timeouts: timeouts)) }
        try await channel.connect(to: SocketAddress(ipAddress: "198.51.100.7", port: 1234))
        return channel
    }

    static let head = HTTPRequest(method: .get, scheme: nil, authority: "mirror.test", path: "/healthz")

    @Test func aConnectionThatSendsNoHeadIsClosed() async throws {
        let channel = try await connectedChannel()
        await channel.testingEventLoop.advanceTime(by: .seconds(9))
        #expect(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)  // before: open for good
    }

    @Test func aBodyThatTricklesIsClosedAtItsDeadline() async throws {
        let channel = try await connectedChannel()
        try await channel.writeInbound(HTTPRequestPart.head(Self.head))
        for _ in 0..<29 {
            try await channel.writeInbound(HTTPRequestPart.body(ByteBuffer(string: "x")))
            await channel.testingEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(channel.isActive)
        await channel.testingEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive, "a byte now and then does not extend the deadline")
    }

    @Test func anAnswerInProgressHasNoDeadlineAndAKeptAliveConnectionIdlesOut() async throws {
        let channel = try await connectedChannel()
        try await channel.writeInbound(HTTPRequestPart.head(Self.head))
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        await channel.testingEventLoop.advanceTime(by: .seconds(3600))
        #expect(channel.isActive, "a long download is not cut")
        try await channel.writeAndFlush(HTTPResponsePart.head(HTTPResponse(status: .ok)))
        try await channel.writeAndFlush(HTTPResponsePart.end(nil))
        await channel.testingEventLoop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        try await channel.writeInbound(HTTPRequestPart.head(Self.head))  // the next request
        await channel.testingEventLoop.advanceTime(by: .seconds(29))
        #expect(channel.isActive)
        try await channel.writeInbound(HTTPRequestPart.end(nil))
        try await channel.writeAndFlush(HTTPResponsePart.end(nil))
        await channel.testingEventLoop.advanceTime(by: .seconds(60))
        #expect(!channel.isActive)
    }

    @Test func oneAddressHoldsAtMostItsCapOfConnections() async throws {
        let limiter = ConnectionLimiter(maximumPerAddress: 2, exempt: [IPNetwork("10.0.0.0/8")!])
        func open(_ address: String) async throws -> NIOAsyncTestingChannel {
            let channel = NIOAsyncTestingChannel()
            try await channel.testingEventLoop.executeInContext { try channel.pipeline.syncOperations.addHandler(limiter.handler()) }
            try await channel.connect(to: SocketAddress(ipAddress: address, port: 1234))
            return channel
        }
        let first = try await open("203.0.113.9")
        let second = try await open("203.0.113.9")
        let third = try await open("203.0.113.9")
        #expect(first.isActive && second.isActive && !third.isActive)
        #expect(try await open("203.0.113.10").isActive, "another address is not affected")
        let v6 = [try await open("2001:db8:1:2::1"), try await open("2001:db8:1:2::99"), try await open("2001:db8:1:2:ffff::1")]
        #expect(v6.map(\.isActive) == [true, true, false], "an IPv6 /64 is one address")
        let proxied = [try await open("10.1.2.3"), try await open("10.1.2.3"), try await open("10.1.2.3")]
        #expect(proxied.allSatisfy { $0.isActive }, "trusted proxies are not capped")
        try await first.close()
        #expect(limiter.openConnections(of: "203.0.113.9") == 1)
        #expect(try await open("203.0.113.9").isActive, "a closed connection gives its slot back")
    }
}
