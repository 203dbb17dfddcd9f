import Foundation
import Gateway
import Testing

@Suite struct BasicCredentialsTests {
    /// `Basic base64(bytes)`.
    static func header(_ bytes: [UInt8]) -> String {
        "Basic " + Data(bytes).base64EncodedString()
    }

    @Test func splitsUserAndSecret() throws {
        let credentials = try #require(BasicCredentials(header: Self.header(Array("alice:s3cret".utf8))))
        #expect(credentials.username == "alice")
        #expect(credentials.secret == "s3cret")
    }

    @Test func secretMayContainColons() throws {
        let credentials = try #require(BasicCredentials(header: Self.header(Array("alice:a:b::c".utf8))))
        #expect(credentials.username == "alice")
        #expect(credentials.secret == "a:b::c")
    }

    /// Found by fuzzing: a colon followed by a combining mark is one Character with it,
    /// so a Character search skipped it and split at a later colon. RFC 7617: the user
    /// id ends at the first colon byte.
    @Test func userIDEndsAtTheFirstColonByteEvenBeforeACombiningMark() throws {
        let credentials = try #require(BasicCredentials(header: Self.header(Array("a:\u{301}b:c".utf8))))
        #expect(credentials.username == "a")
        #expect(credentials.secret == "\u{301}b:c")
        let noOtherColon = try #require(BasicCredentials(header: Self.header(Array("user:\u{308}".utf8))))
        #expect(noOtherColon.username == "user")
        #expect(noOtherColon.secret == "\u{308}")
    }

    @Test(arguments: [
        [0x61, 0x3a, 0xff] as [UInt8],
        [0xff, 0x3a, 0x61],
        [0xc3, 0x3a, 0xa9],
        [0xed, 0xa0, 0x80, 0x3a, 0x61],
    ])
    func nonUTF8IsRejected(_ bytes: [UInt8]) {
        #expect(BasicCredentials(header: Self.header(bytes)) == nil)
    }

    @Test(arguments: ["basic", "Basic", "Basic ", "Bearer YTpi", "Basic !!!", "Basic YWxpY2U=", "BasicYTpi", "Basic\u{301} YTpi"])
    func malformedHeadersAreRejected(_ header: String) {
        #expect(BasicCredentials(header: header) == nil)
    }

    @Test func schemeIsCaseInsensitiveAndSpacesAroundTheTokenAreIgnored() throws {
        let credentials = try #require(BasicCredentials(header: "bASIC   YTpi  "))
        #expect(credentials.username == "a")
        #expect(credentials.secret == "b")
        #expect(BasicCredentials(header: nil) == nil)
    }
}
