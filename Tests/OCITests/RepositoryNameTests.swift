import Foundation
import Testing
import OCI

@Suite struct RepositoryNameTests {
    @Test(arguments: [
        "nginx",
        "library/nginx",
        "a",
        "0",
        "a/b/c/d/e",
        "my.registry/team/app",
        "foo_bar",
        "foo__bar",
        "foo-bar",
        "foo--bar",
        "foo----------bar",
        "a.b.c",
        "a-b_c.d__e",
        "123/456",
        "ghcr.io/owner/repo",
        "library/manifests",
        "manifests/blobs/tags/list",
        "x/blobs/uploads",
    ])
    func acceptsValidNames(_ text: String) throws {
        let name = try RepositoryName(parsing: text)
        #expect(name.value == text)
        #expect(name.description == text)
    }

    @Test(arguments: [
        "..",
        ".",
        "../etc/passwd",
        "a/../b",
        "a/./b",
        "a/..",
        "../a",
        "library/../../etc",
        "a/b/..",
        "a..b",
    ])
    func rejectsPathTraversal(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test(arguments: [
        "a%2Fb",
        "%2e%2e",
        "%2E%2E/etc",
        "a%20b",
        "library%2fnginx",
    ])
    func rejectsPercentEncoding(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test(arguments: ["", "/", "//", "a//b", "/a", "a/", "/a/", "a/b/", "library//nginx"])
    func rejectsEmptyComponents(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test(arguments: ["Nginx", "library/NGINX", "LIBRARY/nginx", "myApp", "a/B"])
    func rejectsUppercase(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test(arguments: [
        "-a", "a-", ".a", "a.", "_a", "a_", "__a", "a__",
        "library/-nginx", "library/nginx-", "library/.nginx", "library/nginx.",
        "library/_nginx", "library/nginx_", "-", "_", "__", "---",
    ])
    func rejectsSeparatorsAtStartOrEnd(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test(arguments: ["a___b", "a____b", "a._b", "a_.b", "a-.b", "a.-b", "a_-b", "a-_b", "a..b", "a__-b"])
    func rejectsMixedOrOverlongSeparators(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test func doubleUnderscoreIsAllowedButTripleIsNot() throws {
        #expect(try RepositoryName(parsing: "a__b").value == "a__b")
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: "a___b") }
    }

    @Test func anyRunOfDashesIsAllowed() throws {
        for count in 1...20 {
            let text = "a" + String(repeating: "-", count: count) + "b"
            #expect(try RepositoryName(parsing: text).value == text)
        }
    }

    @Test(arguments: [
        "a b", "a\tb", "a\nb", "a\r\nb", "a:b", "host:5000/x", "a@b", "a+b", "a\\b", "a?b", "a#b",
        "a*b", "a~b", "caf\u{e9}", "\u{0430}", "a\u{0}b", "a;b",
    ])
    func rejectsCharactersOutsideTheGrammar(_ text: String) {
        expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
    }

    @Test func acceptsExactly255Characters() throws {
        let text = String(repeating: "a", count: 255)
        #expect(try RepositoryName(parsing: text).value.count == 255)
        let nested = (0..<127).map { _ in "a" }.joined(separator: "/") + "/a"
        #expect(nested.utf8.count == 255)
        #expect(try RepositoryName(parsing: nested).components.count == 128)
    }

    @Test func rejects256Characters() {
        let text = String(repeating: "a", count: 256)
        let error = expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
        #expect(error?.message.contains("255") == true)
    }

    @Test func rejectsVeryLongNamesWithoutEchoingThem() {
        let text = String(repeating: "ab/", count: 10_000) + "c"
        let error = expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
        #expect((error?.message.count ?? .max) < 200)
    }

    @Test func lengthCountsUTF8Bytes() {
        // 128 two-byte characters: 128 characters, 256 bytes. Rejected either way, but by length first.
        let text = String(repeating: "\u{e9}", count: 128)
        let error = expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: text) }
        #expect(error?.message.contains("longer than 255") == true)
    }

    @Test func invalidNameMessageMasksControlCharacters() {
        let error = expectOCIError(.nameInvalid) { () throws(OCIError) in try RepositoryName(parsing: "evil\r\nX-Injected: 1") }
        #expect(error?.message.contains("\r") == false)
        #expect(error?.message.contains("\n") == false)
        #expect(error?.message.contains("\"evil??X-Injected: 1\"") == true)
    }

    @Test func components() throws {
        let name = try RepositoryName(parsing: "ghcr.io/owner/repo")
        #expect(name.components == ["ghcr.io", "owner", "repo"])
        #expect(try RepositoryName(parsing: "nginx").components == ["nginx"])
    }

    @Test func prefixed() throws {
        let name = try RepositoryName(parsing: "nginx")
        #expect(try name.prefixed(with: "library").value == "library/nginx")
        #expect(try name.prefixed(with: "docker.io/library").value == "docker.io/library/nginx")
    }

    @Test func prefixedRevalidates() throws {
        let name = try RepositoryName(parsing: "nginx")
        expectOCIError(.nameInvalid) { () throws(OCIError) in try name.prefixed(with: "..") }
        expectOCIError(.nameInvalid) { () throws(OCIError) in try name.prefixed(with: "") }
        expectOCIError(.nameInvalid) { () throws(OCIError) in try name.prefixed(with: "Library") }
        expectOCIError(.nameInvalid) { () throws(OCIError) in try name.prefixed(with: "a/") }

        let long = try RepositoryName(parsing: String(repeating: "a", count: 250))
        #expect(try long.prefixed(with: "bcd").value.utf8.count == 254)
        #expect(try long.prefixed(with: "bcde").value.utf8.count == 255)
        expectOCIError(.nameInvalid) { () throws(OCIError) in try long.prefixed(with: "bcdef") }
    }

    @Test func equalityAndHashing() throws {
        let a = try RepositoryName(parsing: "library/nginx")
        let b = try RepositoryName(parsing: "library/nginx")
        let c = try RepositoryName(parsing: "library/redis")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
    }

    @Test func codableRoundTrip() throws {
        let name = try RepositoryName(parsing: "library/nginx")
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        let data = try encoder.encode(["name": name])
        #expect(String(decoding: data, as: UTF8.self) == #"{"name":"library/nginx"}"#)
        #expect(try JSONDecoder().decode([String: RepositoryName].self, from: data)["name"] == name)
    }

    @Test(arguments: [#"["../etc"]"#, #"["A"]"#, #"[""]"#, #"["a/"]"#, #"["a%2Fb"]"#, "[1]"])
    func decodingValidates(_ json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode([RepositoryName].self, from: Data(json.utf8)) }
    }
}
