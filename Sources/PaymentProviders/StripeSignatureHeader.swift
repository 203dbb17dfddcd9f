/// A parsed `Stripe-Signature` header: `t=<unix seconds>,v1=<hex>[,v1=…][,v0=…]`.
struct StripeSignatureHeader: Equatable {
    /// The signed timestamp (`t`).
    let timestamp: Int64
    /// Every `v1` signature, decoded from hex (32 bytes each).
    let v1Signatures: [[UInt8]]

    /// Longest header accepted.
    static let maximumLength = 8_192

    /// Parses the header strictly: comma-separated `key=value` items (spaces
    /// around items ignored), exactly one `t` of 1–18 ASCII digits, at least
    /// one `v1`, every `v1` 64 hex digits. Other schemes (`v0`, …) are ignored.
    init(parsing header: String) throws(MalformedInput) {
        guard !header.isEmpty, header.utf8.count <= Self.maximumLength else {
            throw MalformedInput(reason: "signature header is empty or too long")
        }
        var timestamp: Int64?
        var signatures: [[UInt8]] = []
        for rawItem in header.split(separator: ",", omittingEmptySubsequences: false) {
            let item = rawItem.trimmingASCIISpaces()
            guard let equals = item.firstIndex(of: "=") else {
                throw MalformedInput(reason: "signature header item without '='")
            }
            let key = item[..<equals]
            let value = item[item.index(after: equals)...]
            switch key {
            case "t":
                guard timestamp == nil else { throw MalformedInput(reason: "signature header repeats t") }
                guard (1...18).contains(value.utf8.count), value.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                      let seconds = Int64(value)
                else { throw MalformedInput(reason: "signature header t is not a unix timestamp") }
                timestamp = seconds
            case "v1":
                guard value.utf8.count == 64, let bytes = Hex.decode(value) else {
                    throw MalformedInput(reason: "signature header v1 is not 64 hex digits")
                }
                signatures.append(bytes)
            case "":
                throw MalformedInput(reason: "signature header item without a name")
            default:
                continue
            }
        }
        guard let timestamp else { throw MalformedInput(reason: "signature header has no t") }
        guard !signatures.isEmpty else { throw MalformedInput(reason: "signature header has no v1 signature") }
        self.timestamp = timestamp
        self.v1Signatures = signatures
    }
}

extension Substring {
    /// The substring without leading and trailing ASCII spaces and tabs.
    fileprivate func trimmingASCIISpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return self[endIndex...]
        }
        return self[first...last]
    }
}
