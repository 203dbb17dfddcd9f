import OCI

/// Reading `X-Forwarded-For` (untrusted input: a pure function, fuzzed).
public enum ForwardedFor {
    /// The rightmost entry that is not a trusted proxy; nil (meaning: the peer) when
    /// every entry is trusted or an entry that is not an address comes first.
    public static func client(in header: String, isTrusted: (String) -> Bool) -> String? {
        for hop in header.split(separator: ",").reversed() {
            let address = IPNetwork.strippingPort(String(hop.trimmingHTTPWhitespace()))
            guard IPNetwork.bytes(of: address) != nil else { return nil }
            if !isTrusted(address) { return address }
        }
        return nil
    }
}
