/// The keys a client is counted under by the per-client limits. The gateway passes a
/// client's network as `IPNetwork.clientKey` makes it: an IPv4 address as it is, an
/// IPv6 address as its /64 (`2001:db8:1:2::/64`). One holder of a /48 (a tunnel
/// broker's or a hosting provider's routine allocation) controls 65,536 such /64s, so
/// every per-client limit also counts the /48 (`2001:db8:1::/48`), with a higher
/// ceiling.
public enum ClientNetwork {
    /// The /48 an IPv6 /64 key lies in; nil for IPv4 addresses and anything else.
    public static func wideKey(of network: String) -> String? {
        guard network.hasSuffix("::/64") else { return nil }
        let groups = network.dropLast("::/64".count).split(separator: ":", omittingEmptySubsequences: false)
        guard groups.count == 4, groups.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isHexDigit) }) else { return nil }
        return groups.prefix(3).joined(separator: ":") + "::/48"
    }
}
