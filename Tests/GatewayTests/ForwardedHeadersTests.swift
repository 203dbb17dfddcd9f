import Accounts
import Cache
import FerryServer
import FerryTestSupport
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

@Suite struct ForwardedHeadersTests {
    @Test func networksMatchAddresses() throws {
        let private10 = try #require(IPNetwork("10.0.0.0/8"))
        #expect(private10.contains("10.1.2.3"))
        #expect(!private10.contains("11.0.0.1"))
        #expect(!private10.contains("not an address"))
        let loopback = try #require(IPNetwork("127.0.0.1"))
        #expect(loopback.contains("127.0.0.1") && !loopback.contains("127.0.0.2"))
        #expect(loopback.contains("::ffff:127.0.0.1"))
        let v6 = try #require(IPNetwork("fd00::/8"))
        #expect(v6.contains("fd12:3456::1") && !v6.contains("fe80::1") && !v6.contains("10.0.0.1"))
        #expect(IPNetwork("10.0.0.0/33") == nil)
        #expect(IPNetwork("example.com") == nil)
        #expect(try #require(IPNetwork("0.0.0.0/0")).contains("8.8.8.8"))
    }

    func challengeRealm(trusted: [IPNetwork]) async throws -> String? {
        let harness = SubscriberHarness(
            upstreams: [InMemoryUpstream(id: "docker", registry: "docker.io")],
            values: ["public-url": "http://internal:5000", "token.service": "mirror.test", "trusted-proxies": trusted.map(\.description).joined(separator: ",")]
        )
        return try await harness.run(.live) { client, _ in
            try await client.execute(uri: "/v2/", method: .get, headers: [
                HTTPField.Name("X-Forwarded-Proto")!: "https", HTTPField.Name("X-Forwarded-Host")!: "mirror.example.com",
                HTTPField.Name("X-Forwarded-For")!: "203.0.113.9, 127.0.0.1",
            ]) { response in
                response.headers[.wwwAuthenticate]
            }
        }
    }

    @Test func trustedProxiesSetThePublicURLOthersAreIgnored() async throws {
        let trusted = try await challengeRealm(trusted: [IPNetwork("127.0.0.0/8")!])
        #expect(trusted?.hasPrefix(#"Bearer realm="https://mirror.example.com/token""#) == true, "\(trusted ?? "-")")
        let untrusted = try await challengeRealm(trusted: [IPNetwork("10.0.0.0/8")!])
        #expect(untrusted?.hasPrefix(#"Bearer realm="http://internal:5000/token""#) == true, "\(untrusted ?? "-")")
    }
}

@Suite struct ForwardedForTests {
    let trusted = [IPNetwork("127.0.0.0/8")!, IPNetwork("10.0.0.0/8")!]

    func client(_ header: String) -> String? {
        ForwardedFor.client(in: header) { address in trusted.contains { $0.contains(address) } }
    }

    @Test func readRightToLeftStoppingAtTheFirstUntrustedAddress() {
        #expect(client("203.0.113.9, 127.0.0.1") == "203.0.113.9")
        // A client inside a trusted range cannot claim another address: its own entry stops the walk.
        #expect(client("198.51.100.7, 192.0.2.1, 10.1.2.3") == "192.0.2.1")
        // Every hop trusted: the peer, never the leftmost (client-written) entry.
        #expect(client("127.0.0.77") == nil)
        #expect(client("203.0.113.9, 10.0.0.1, 127.0.0.1") == "203.0.113.9")
        // Ports are stripped, IPv6 in brackets too; garbage ends the walk at the peer.
        #expect(client("203.0.113.9:5678, 127.0.0.1") == "203.0.113.9")
        #expect(client("[2001:db8::1]:443") == "2001:db8::1")
        #expect(client("198.51.100.7, not-an-address, 127.0.0.1") == nil)
    }

    @Test func ipv6ClientsAreKeyedByTheirSlash64() {
        #expect(IPNetwork.clientKey(for: "2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64")
        #expect(IPNetwork.clientKey(for: "2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64")
        #expect(IPNetwork.clientKey(for: "2001:db8:1:3::1") == "2001:db8:1:3::/64")
        #expect(IPNetwork.clientKey(for: "::ffff:192.0.2.4") == "192.0.2.4")
        #expect(IPNetwork.clientKey(for: "192.0.2.4") == "192.0.2.4")
        #expect(IPNetwork.clientKey(for: "nonsense") == nil)
    }
}
