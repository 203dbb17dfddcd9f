import Testing
import OCI

@Suite struct ReferenceTests {
    @Test(arguments: [
        "latest", "v1.2.3", "1.25-alpine", "_private", "A", "0", "UPPER_case.mixed-9",
        "a-", "a.", "a..b", "a--b", "a__b", "stable-20240101.1",
    ])
    func parsesTags(_ text: String) throws {
        let reference = try Reference(parsing: text)
        #expect(reference == .tag(text))
        #expect(reference.description == text)
        #expect(reference.digest == nil)
    }

    @Test func parsesDigests() throws {
        let reference = try Reference(parsing: "sha256:\(emptySHA256)")
        let digest = try Digest(parsing: "sha256:\(emptySHA256)")
        #expect(reference == .digest(digest))
        #expect(reference.digest == digest)
        #expect(reference.description == "sha256:\(emptySHA256)")

        let sha512 = try Reference(parsing: "sha512:\(emptySHA512)")
        #expect(sha512.digest?.algorithm == .sha512)
    }

    @Test func parsesSubstring() throws {
        let path = "nginx/manifests/latest"
        #expect(try Reference(parsing: path.split(separator: "/").last!) == .tag("latest"))
    }

    @Test func tagOf128CharactersIsAccepted() throws {
        #expect(Reference.maximumTagLength == 128)
        let tag = "a" + String(repeating: "b", count: 127)
        #expect(try Reference(parsing: tag) == .tag(tag))
    }

    @Test(arguments: [129, 200, 10_000])
    func tagsOver128CharactersAreRejected(_ length: Int) {
        let tag = String(repeating: "a", count: length)
        let error = expectOCIError(.manifestUnknown) { () throws(OCIError) in try Reference(parsing: tag) }
        #expect((error?.message.count ?? .max) < 200, "message must not echo the whole tag")
    }

    @Test(arguments: [".hidden", "-rc1", ".", "..", "-", ".latest", "-latest"])
    func tagsStartingWithDotOrDashAreRejected(_ text: String) {
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try Reference(parsing: text) }
    }

    @Test(arguments: [
        "", "a/b", "../latest", "latest/", "a b", " latest", "latest\n", "lat%2Fest", "%2e%2e",
        "l\u{e4}test", "tag!", "tag+1", "tag@x", "tag~", "t\u{0}",
    ])
    func malformedTagsAreRejected(_ text: String) {
        expectOCIError(.manifestUnknown) { () throws(OCIError) in try Reference(parsing: text) }
    }

    @Test(arguments: [
        "sha256:abc",
        "sha256:\(emptySHA256.uppercased())",
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "latest:tag",
        ":",
        "sha256:",
        "a:b:c",
    ])
    func anythingWithAColonMustBeAValidDigest(_ text: String) {
        expectOCIError(.digestInvalid) { () throws(OCIError) in try Reference(parsing: text) }
    }

    @Test func hashable() throws {
        let digest = try Digest(parsing: "sha256:\(emptySHA256)")
        let set: Set<Reference> = [.tag("latest"), .tag("latest"), .digest(digest), .tag("v1")]
        #expect(set.count == 3)
        #expect(Reference.tag("sha256") != .digest(digest))
    }
}
