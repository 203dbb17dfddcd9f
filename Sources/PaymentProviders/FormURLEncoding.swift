/// `application/x-www-form-urlencoded` as Alipay uses it: strict decoding of
/// notification bodies and encoding of query strings.
enum FormURLEncoding {
    /// Decodes `k=v&k=v` exactly: `+` is a space, `%XX` a byte, and the
    /// decoded bytes must be UTF-8. Refuses empty pairs, pairs without `=`,
    /// empty keys, bad `%` escapes, invalid UTF-8 and repeated keys.
    static func decode(_ body: some Collection<UInt8>) throws(MalformedInput) -> [String: String] {
        var result: [String: String] = [:]
        guard !body.isEmpty else { throw MalformedInput(reason: "empty body") }
        for pair in body.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: false) {
            guard let equals = pair.firstIndex(of: UInt8(ascii: "=")) else {
                throw MalformedInput(reason: pair.isEmpty ? "empty parameter" : "parameter without '='")
            }
            let key = try decodeComponent(pair[pair.startIndex..<equals])
            let value = try decodeComponent(pair[pair.index(after: equals)...])
            guard !key.isEmpty else { throw MalformedInput(reason: "empty parameter name") }
            guard result.updateValue(value, forKey: key) == nil else {
                let printable = key.utf8.count <= 32 && key.utf8.allSatisfy {
                    (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) || $0 == 0x5F
                }
                throw MalformedInput(reason: printable ? "repeated parameter '\(key)'" : "repeated parameter")
            }
        }
        return result
    }

    /// Percent-decodes one component (`+` as space) into UTF-8 text.
    static func decodeComponent(_ bytes: some Collection<UInt8>) throws(MalformedInput) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var iterator = bytes.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"):
                out.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(Hex.nibble),
                      let low = iterator.next().flatMap(Hex.nibble)
                else { throw MalformedInput(reason: "malformed percent-encoding") }
                out.append(high << 4 | low)
            default:
                out.append(byte)
            }
        }
        guard let text = String(validating: out, as: UTF8.self) else {
            throw MalformedInput(reason: "parameter is not valid UTF-8")
        }
        return text
    }

    /// Percent-encodes UTF-8 text, leaving only `A-Z a-z 0-9 - . _ ~` as is
    /// (space becomes `%20`), so the result is safe in any query string.
    static func encodeComponent(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case 0x30...0x39, 0x41...0x5A, 0x61...0x7A,
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out.append(UInt8(ascii: "%"))
                out.append(hex[Int(byte >> 4)])
                out.append(hex[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes pairs in the given order as `k=v&k=v`.
    static func encode(_ pairs: [(key: String, value: String)]) -> String {
        pairs.map { "\(encodeComponent($0.key))=\(encodeComponent($0.value))" }.joined(separator: "&")
    }
}
