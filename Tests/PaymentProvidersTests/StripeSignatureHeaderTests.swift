import Testing
@testable import PaymentProviders

@Suite("Stripe-Signature header parsing")
struct StripeSignatureHeaderTests {
    private let a = String(repeating: "ab", count: 32)
    private let b = String(repeating: "0F", count: 32)

    @Test("parses t, several v1, ignores v0 and unknown schemes, trims spaces")
    func parses() throws {
        let header = try StripeSignatureHeader(parsing: "t=1714566896,v1=\(a), v1=\(b) ,v0=\(a),x=y")
        #expect(header.timestamp == 1_714_566_896)
        #expect(header.v1Signatures == [Array(repeating: 0xAB, count: 32), Array(repeating: 0x0F, count: 32)])
        #expect(try StripeSignatureHeader(parsing: "v1=\(a),t=1").timestamp == 1)
    }

    @Test("refuses malformed headers", arguments: [
        "", "t=1", "v1=" + String(repeating: "ab", count: 32), "t=,v1=" + String(repeating: "ab", count: 32),
        "t=-5,v1=" + String(repeating: "ab", count: 32), "t=+5,v1=" + String(repeating: "ab", count: 32),
        "t=1.5,v1=" + String(repeating: "ab", count: 32), "t=1234567890123456789,v1=" + String(repeating: "ab", count: 32),
        "t=1,t=2,v1=" + String(repeating: "ab", count: 32), "t=1,v1=abc", "t=1,v1=" + String(repeating: "zz", count: 32),
        "t=1,v1=" + String(repeating: "ab", count: 33), "t=1,v0=" + String(repeating: "ab", count: 32),
        "t=1,,v1=" + String(repeating: "ab", count: 32), "t=1;v1=" + String(repeating: "ab", count: 32),
        "t=1,=x,v1=" + String(repeating: "ab", count: 32), "t 1,v1=" + String(repeating: "ab", count: 32),
        "t=1,v1=" + String(repeating: "ab", count: 32) + String(repeating: ",v0=0", count: 2_000),
    ])
    func refuses(header: String) {
        #expect(throws: MalformedInput.self) { try StripeSignatureHeader(parsing: header) }
    }
}
