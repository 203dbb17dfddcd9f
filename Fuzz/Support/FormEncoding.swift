/// Serializes form fields as a browser does (`application/x-www-form-urlencoded`, WHATWG
/// URL standard): `A-Z a-z 0-9 * - . _` as is, space as `+`, every other byte as `%XX`.
func formURLEncoded(_ fields: [(name: String, value: String)]) -> String {
    fields.map { "\(formURLEncoded($0.name))=\(formURLEncoded($0.value))" }.joined(separator: "&")
}

/// One name or value, serialized as in `formURLEncoded(_:)`.
func formURLEncoded(_ text: String) -> String {
    let hex = Array("0123456789ABCDEF".utf8)
    var bytes: [UInt8] = []
    for byte in text.utf8 {
        switch byte {
        case 0x30...0x39, 0x41...0x5a, 0x61...0x7a, UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"):
            bytes.append(byte)
        case UInt8(ascii: " "):
            bytes.append(UInt8(ascii: "+"))
        default:
            bytes += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0f)]]
        }
    }
    return String(decoding: bytes, as: UTF8.self)
}
