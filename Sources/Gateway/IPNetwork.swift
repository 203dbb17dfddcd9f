#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 network in CIDR form (`10.0.0.0/8`, `::1/128`, or a bare address),
/// for deciding which peers are trusted reverse proxies.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    let address: [UInt8]
    let prefixLength: Int

    /// Parses CIDR notation; nil when malformed: an empty address or prefix, a prefix
    /// that is not 1 to 3 decimal digits or is too long for the address, or a NUL.
    public init?(_ text: String) {
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = Self.bytes(of: String(Substring(parts[0]))) else { return nil }
        let maximum = address.count * 8
        var prefix = maximum
        if parts.count == 2 {
            let digits = parts[1]
            guard (1...3).contains(digits.count), digits.allSatisfy({ (0x30...0x39).contains($0) }) else { return nil }
            prefix = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        guard prefix <= maximum else { return nil }
        self.address = address
        self.prefixLength = prefix
    }

    /// Whether `text` (an IP address) lies in this network.
    public func contains(_ text: String) -> Bool {
        guard let candidate = Self.bytes(of: text), candidate.count == address.count else { return false }
        var remaining = prefixLength
        for index in 0..<address.count where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if candidate[index] & mask != address[index] & mask { return false }
            remaining -= bits
        }
        return true
    }

    public var description: String { "\(address.count == 4 ? address.map(String.init).joined(separator: ".") : "ipv6")/\(prefixLength)" }

    /// The key one client is counted under (login throttle, distinct addresses per day):
    /// an IPv4 address as is, an IPv6 address by its /64, since a single client
    /// normally holds a whole /64. Nil when `text` is not an address.
    public static func clientKey(for text: String) -> String? {
        guard let bytes = bytes(of: text) else { return nil }
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    /// An address without a port: `1.2.3.4:80` → `1.2.3.4`, `[2001:db8::1]:443` →
    /// `2001:db8::1`; other text unchanged.
    public static func strippingPort(_ text: String) -> String {
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return String(text[text.index(after: text.startIndex)..<close])
        }
        let colons = text.filter { $0 == ":" }.count
        if colons == 1, let colon = text.firstIndex(of: ":") { return String(text[..<colon]) }
        return text
    }

    /// The 4 or 16 bytes of an address (an IPv4-mapped IPv6 address counts as IPv4).
    /// Nil for text with a NUL, which `inet_pton` would take as the end of the address.
    static func bytes(of text: String) -> [UInt8]? {
        guard !text.utf8.contains(0) else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff { return Array(bytes[12...]) }
        return bytes
    }
}
