/// Deterministic JSON for Alipay's flat `biz_content` object: keys sorted,
/// no whitespace, non-ASCII kept as is, escapes as Python's
/// `json.dumps(ensure_ascii=False, sort_keys=True, separators=(",", ":"))`,
/// which is what Alipay's own SDK sends. Any valid JSON would be accepted by
/// Alipay (the string is signed as sent); matching the SDK makes signatures
/// reproducible byte for byte.
enum AlipayBizContentJSON {
    /// Encodes a string-to-string object.
    static func encode(_ object: [String: String]) -> String {
        let members = object
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\(quote($0.key)):\(quote($0.value))" }
        return "{\(members.joined(separator: ","))}"
    }

    /// A JSON string literal.
    static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case let control where control.value < 0x20:
                let hex = String(control.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
