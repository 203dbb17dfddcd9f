import Testing
@testable import PaymentProviders

@Suite("Form URL encoding")
struct FormURLEncodingTests {
    private func decode(_ text: String) throws(MalformedInput) -> [String: String] {
        try FormURLEncoding.decode(Array(text.utf8))
    }

    @Test("decodes percent escapes, + as space, UTF-8, '=' inside values")
    func decodes() throws {
        let fields = try decode("subject=Ferry+Pro%20%E5%B9%B4%E4%BB%98&sign=ab%2Bc%2F%3D&empty=&eq=a=b&plus=%2B")
        #expect(fields == ["subject": "Ferry Pro 年付", "sign": "ab+c/=", "empty": "", "eq": "a=b", "plus": "+"])
    }

    @Test("refuses malformed bodies", arguments: [
        ("", "empty body"),
        ("a=1&a=2", "repeated parameter 'a'"),
        ("a=1&b=2&a=1", "repeated parameter 'a'"),
        ("a%3D=1&a%3d=2", "repeated parameter"),
        ("%61=1&a=2", "repeated parameter 'a'"),
        ("a=%", "malformed percent-encoding"),
        ("a=%4", "malformed percent-encoding"),
        ("a=%G1", "malformed percent-encoding"),
        ("a=%FF", "parameter is not valid UTF-8"),
        ("a=%C3", "parameter is not valid UTF-8"),
        ("a", "parameter without '='"),
        ("a=1&&b=2", "empty parameter"),
        ("a=1&", "empty parameter"),
        ("=x", "empty parameter name"),
    ])
    func refuses(body: String, reason: String) {
        #expect(throws: MalformedInput(reason: reason)) { try decode(body) }
    }

    @Test("encoding round-trips through the strict decoder")
    func roundTrip() throws {
        let fields = ["k": "a b+c&d=e/f?g#h%i", "中文": "年付 plan", "t": "~-._", "json": #"{"a":"b"}"#]
        let encoded = FormURLEncoding.encode(fields.sorted { $0.key < $1.key }.map { ($0.key, $0.value) })
        #expect(!encoded.contains(" ") && !encoded.contains("+"))
        #expect(try decode(encoded) == fields)
    }
}
