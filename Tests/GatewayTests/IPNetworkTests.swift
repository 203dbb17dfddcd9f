import Gateway
import Testing

@Suite struct IPNetworkTests {
    @Test func parsesNetworksAndBareAddresses() throws {
        #expect(IPNetwork("10.0.0.0/8")?.description == "10.0.0.0/8")
        #expect(IPNetwork("192.168.1.7")?.description == "192.168.1.7/32")
        #expect(IPNetwork("::1/128")?.description == "ipv6/128")
        #expect(IPNetwork("fd00::/8")?.description == "ipv6/8")
        #expect(IPNetwork("0.0.0.0/0")?.description == "0.0.0.0/0")
    }

    /// Found by fuzzing: `/` trapped (an empty split), `10.0.0.0/` was read as a /32,
    /// and `inet_pton` stopped at an embedded NUL, so `10.0.0.1\0junk` was accepted.
    @Test(arguments: [
        "", "/", "//", "/8", "10.0.0.0/", "::/", "10.0.0.0//8", "10.0.0.0/8/", "10.0.0.0/+8", "10.0.0.0/-0",
        "10.0.0.0/ 8", "10.0.0.0/8 ", "10.0.0.0/0x8", "10.0.0.0/0008", "10.0.0.0/33", "::/129",
        "10.0.0.1\u{0}", "10.0.0.1\u{0}junk", "10.0.0.0\u{0}/8", "10.0.0.0/8\u{0}", "::1\u{0}x", "\u{0}",
    ])
    func malformedNetworksAreRejected(_ text: String) {
        #expect(IPNetwork(text) == nil)
    }

    @Test(arguments: ["1.2.3.4\u{0}", "1.2.3.4\u{0}x", "5.6.7.8, 1.2.3.4\u{0}x", "::1\u{0}"])
    func forwardedForRejectsAddressesWithNUL(_ header: String) {
        #expect(ForwardedFor.client(in: header, isTrusted: { _ in false }) == nil)
    }

    @Test func clientKeysRejectAddressesWithNUL() {
        #expect(IPNetwork.clientKey(for: "1.2.3.4\u{0}x") == nil)
        #expect(IPNetwork.clientKey(for: "1.2.3.4") == "1.2.3.4")
    }

    @Test func networksDoNotContainAddressesWithNUL() throws {
        let network = try #require(IPNetwork("10.0.0.0/8"))
        #expect(!network.contains("10.0.0.1\u{0}"))
        #expect(network.contains("10.0.0.1"))
    }
}
