import Testing
import OCI

private let satisfiable: [(ByteRange, Int64, ClosedRange<Int64>?)] = [
    // closed ranges
    (.from(start: 0, end: 99), 1000, 0...99),
    (.from(start: 0, end: 0), 1, 0...0),
    (.from(start: 10, end: 20), 21, 10...20),
    // end is clamped to the last byte
    (.from(start: 0, end: 99), 50, 0...49),
    (.from(start: 10, end: 999_999_999_999_999_999), 100, 10...99),
    (.from(start: 49, end: 100), 50, 49...49),
    // open ranges run to the end
    (.from(start: 100, end: nil), 1000, 100...999),
    (.from(start: 0, end: nil), 1, 0...0),
    (.from(start: 99, end: nil), 100, 99...99),
    // suffixes
    (.suffix(count: 50), 1000, 950...999),
    (.suffix(count: 1), 10, 9...9),
    (.suffix(count: 10), 10, 0...9),
    (.suffix(count: 500), 10, 0...9),
    (.suffix(count: 999_999_999_999_999_999), 10, 0...9),
]

private let unsatisfiable: [(ByteRange, Int64)] = [
    // start at or past the end
    (.from(start: 100, end: nil), 100),
    (.from(start: 100, end: 199), 100),
    (.from(start: 101, end: nil), 100),
    (.from(start: 1, end: 1), 1),
    (.from(start: 999_999_999_999_999_999, end: nil), 10),
    // nothing to select in an empty body
    (.from(start: 0, end: nil), 0),
    (.from(start: 0, end: 0), 0),
    (.suffix(count: 1), 0),
    (.suffix(count: 50), 0),
]

@Suite struct ByteRangeTests {
    // MARK: - Parsing

    @Test(arguments: [
        ("bytes=0-99", ByteRange.from(start: 0, end: 99)),
        ("bytes=100-", .from(start: 100, end: nil)),
        ("bytes=-50", .suffix(count: 50)),
        ("bytes=0-0", .from(start: 0, end: 0)),
        ("bytes=0-", .from(start: 0, end: nil)),
        ("bytes=5-5", .from(start: 5, end: 5)),
        ("bytes=-1", .suffix(count: 1)),
        ("bytes=007-010", .from(start: 7, end: 10)),
        ("bytes=999999999999999999-", .from(start: 999_999_999_999_999_999, end: nil)),
        ("bytes=0-999999999999999999", .from(start: 0, end: 999_999_999_999_999_999)),
    ])
    func parsesSingleRanges(_ header: String, _ expected: ByteRange) throws {
        #expect(try ByteRange.parse(header) == expected)
    }

    @Test(arguments: ["bytes=0-1,2-3", "bytes=0-99, 200-299", "bytes=-5,0-1", "bytes=0-,-1", "bytes=0-1,", "bytes=,"])
    func multiRangeReturnsNil(_ header: String) throws {
        #expect(try ByteRange.parse(header) == nil)
    }

    @Test(arguments: [
        "bytes=a-b",
        "bytes=1-b",
        "bytes=a-1",
        "bytes=5-1",
        "bytes=-0",
        "bytes=-00",
        "0-99",
        "-50",
        "",
        "bytes=",
        "bytes=-",
        "bytes=5",
        "bytes=0-1-2",
        "bytes=--5",
        "bytes=+1-2",
        "bytes=1-+2",
        "bytes=-+5",
        "bytes=0x10-0x20",
        "bytes= 0-99",
        "bytes=0 -99",
        "bytes=0-99 ",
        "bytes:0-99",
        "bytes 0-99",
        "bytes=1.5-2",
        "bytes=\u{661}-\u{662}",
        "bytes=\u{FF11}-\u{FF12}",
        "bytes=9223372036854775807-",
        "bytes=0-9223372036854775807",
        "bytes=0-99999999999999999999999",
        "bytes=-1000000000000000000",
    ])
    func malformedHeadersThrowRangeInvalid(_ header: String) {
        expectOCIError(.rangeInvalid) { () throws(OCIError) in try ByteRange.parse(header) }
    }

    @Test func oversizedHeaderIsRejectedEvenIfItLooksMultiRange() {
        let header = "bytes=" + Array(repeating: "0-1", count: 100).joined(separator: ",")
        #expect(header.utf8.count > 256)
        expectOCIError(.rangeInvalid) { () throws(OCIError) in try ByteRange.parse(header) }
    }

    @Test func lengthLimitIs256Bytes() throws {
        let atLimit = "bytes=" + String(repeating: ",", count: 250)
        #expect(atLimit.utf8.count == 256)
        #expect(try ByteRange.parse(atLimit) == nil)
        let overLimit = atLimit + ","
        expectOCIError(.rangeInvalid) { () throws(OCIError) in try ByteRange.parse(overLimit) }
    }

    @Test func errorMessageDoesNotEchoTheWholeHeader() {
        let header = "bytes=" + String(repeating: "x", count: 200)
        let error = expectOCIError(.rangeInvalid) { () throws(OCIError) in try ByteRange.parse(header) }
        #expect(error?.message.contains(header) == false)
        #expect((error?.message.count ?? .max) < 120)
    }

    @Test func errorMessageMasksControlCharacters() {
        let error = expectOCIError(.rangeInvalid) { () throws(OCIError) in try ByteRange.parse("bytes=0-\r\nX: y") }
        #expect(error?.message.contains("\r") == false)
        #expect(error?.message.contains("\n") == false)
    }

    // MARK: - Resolving against a size

    @Test(arguments: satisfiable)
    func resolvesSatisfiableRanges(_ range: ByteRange, _ size: Int64, _ expected: ClosedRange<Int64>?) {
        #expect(range.resolve(size: size) == expected)
    }

    @Test(arguments: unsatisfiable)
    func unsatisfiableRangesResolveToNil(_ range: ByteRange, _ size: Int64) {
        #expect(range.resolve(size: size) == nil)
    }

    @Test func parseThenResolve() throws {
        let size: Int64 = 1234
        #expect(try ByteRange.parse("bytes=0-99")?.resolve(size: size) == 0...99)
        #expect(try ByteRange.parse("bytes=100-")?.resolve(size: size) == 100...1233)
        #expect(try ByteRange.parse("bytes=-50")?.resolve(size: size) == 1184...1233)
        #expect(try ByteRange.parse("bytes=1200-5000")?.resolve(size: size) == 1200...1233)
        #expect(try ByteRange.parse("bytes=1234-")?.resolve(size: size) == nil)
        #expect(try ByteRange.parse("bytes=-5000")?.resolve(size: size) == 0...1233)
    }

    @Test func resolvedSpanNeverLeavesTheBody() throws {
        let headers = ["bytes=0-0", "bytes=0-", "bytes=-1", "bytes=3-7", "bytes=7-", "bytes=-3", "bytes=2-100", "bytes=-100", "bytes=9-9"]
        for header in headers {
            let range = try #require(try ByteRange.parse(header))
            for size in Int64(0)...12 {
                guard let span = range.resolve(size: size) else { continue }
                #expect(span.lowerBound >= 0, "\(header) size \(size)")
                #expect(span.upperBound < size, "\(header) size \(size)")
            }
        }
    }
}

@Suite struct ByteRangeUnitTests {
    @Test func unitIsCaseInsensitiveAndUnknownUnitsAreIgnored() throws {
        #expect(try ByteRange.parse("Bytes=0-1") == .from(start: 0, end: 1))
        #expect(try ByteRange.parse("items=0-1") == nil)
    }

    @Test func resolveRefusesValuesThatParsingWouldReject() {
        #expect(ByteRange.from(start: 5, end: 1).resolve(size: 10) == nil)
        #expect(ByteRange.suffix(count: 0).resolve(size: 10) == nil)
        #expect(ByteRange.from(start: -1, end: nil).resolve(size: 10) == nil)
    }
}
