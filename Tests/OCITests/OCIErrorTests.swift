import Testing
import OCI

@Suite struct OCIErrorTests {
    @Test func description() {
        let error = OCIError(.nameInvalid, "bad name")
        #expect(error.code == .nameInvalid)
        #expect(error.message == "bad name")
        #expect(error.description == "NAME_INVALID: bad name")
    }

    @Test func equality() {
        #expect(OCIError(.denied, "x") == OCIError(.denied, "x"))
        #expect(OCIError(.denied, "x") != OCIError(.denied, "y"))
        #expect(OCIError(.denied, "x") != OCIError(.unauthorized, "x"))
    }

    @Test func quoteWrapsShortInput() {
        #expect(OCIError.quote("library/nginx") == "\"library/nginx\"")
        #expect(OCIError.quote("") == "\"\"")
    }

    @Test func quoteTruncatesAfter64Characters() {
        let exactly64 = String(repeating: "a", count: 64)
        #expect(OCIError.quote(exactly64) == "\"\(exactly64)\"")
        let longer = exactly64 + "b"
        #expect(OCIError.quote(longer) == "\"\(exactly64)…\"")
        #expect(OCIError.quote(String(repeating: "z", count: 100_000)).count == 64 + 3)
    }

    @Test func quoteMasksControlAndNonASCIICharacters() {
        #expect(OCIError.quote("a\r\nb") == "\"a??b\"")
        #expect(OCIError.quote("\u{0}\u{1b}[31m") == "\"??[31m\"")
        #expect(OCIError.quote("\u{7f}") == "\"?\"")
        #expect(OCIError.quote("caf\u{e9}") == "\"caf?\"")
        #expect(OCIError.quote("\u{1F433}") == "\"?\"")
    }

    @Test func quoteAcceptsSubstrings() {
        let text = "prefix:value"
        #expect(OCIError.quote(text.dropFirst(7)) == "\"value\"")
    }
}
