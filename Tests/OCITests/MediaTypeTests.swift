import Testing
import OCI

@Suite struct MediaTypeTests {
    @Test func constants() {
        #expect(MediaType.dockerManifest == "application/vnd.docker.distribution.manifest.v2+json")
        #expect(MediaType.dockerManifestList == "application/vnd.docker.distribution.manifest.list.v2+json")
        #expect(MediaType.ociManifest == "application/vnd.oci.image.manifest.v1+json")
        #expect(MediaType.ociIndex == "application/vnd.oci.image.index.v1+json")
        #expect(MediaType.allManifestTypes == [MediaType.ociIndex, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.dockerManifest])
        #expect(MediaType.indexTypes == [MediaType.ociIndex, MediaType.dockerManifestList])
    }

    @Test func isIndex() {
        #expect(MediaType.isIndex(MediaType.ociIndex))
        #expect(MediaType.isIndex(MediaType.dockerManifestList))
        #expect(!MediaType.isIndex(MediaType.ociManifest))
        #expect(!MediaType.isIndex(MediaType.dockerManifest))
        #expect(!MediaType.isIndex("application/json"))
        #expect(!MediaType.isIndex(""))
        #expect(!MediaType.isIndex(MediaType.ociIndex.uppercased()))
    }

    // MARK: - parseAccept

    @Test func parsesMultipleHeadersAndCommaSeparatedEntriesInOrder() {
        let accepted = MediaType.parseAccept([
            "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json",
            "application/vnd.docker.distribution.manifest.v2+json",
            "application/vnd.docker.distribution.manifest.list.v2+json,application/json",
        ])
        #expect(accepted == [
            MediaType.ociIndex, MediaType.ociManifest, MediaType.dockerManifest, MediaType.dockerManifestList, "application/json",
        ])
    }

    @Test func dropsParameters() {
        #expect(MediaType.parseAccept(["application/json; charset=utf-8; q=0.5"]) == ["application/json"])
        #expect(MediaType.parseAccept(["application/json;q=1"]) == ["application/json"])
        #expect(MediaType.parseAccept([" \tapplication/json\t ; q=0.9 "]) == ["application/json"])
    }

    @Test func trimsOnlyHTTPWhitespace() {
        #expect(" \ta b\t ".trimmingHTTPWhitespace() == "a b")
        #expect("\n x \n".trimmingHTTPWhitespace() == "\n x \n")
        #expect("  ".trimmingHTTPWhitespace().isEmpty && "".trimmingHTTPWhitespace().isEmpty)
    }

    @Test(arguments: ["a/b;q=0", "a/b; q=0", "a/b;q=0.0", "a/b ; q = 0", "a/b;charset=x;q=0", "a/b;q=0;charset=x", "a/b; q=0 "])
    func dropsEntriesWithQZero(_ header: String) {
        #expect(MediaType.parseAccept([header]) == [])
        #expect(MediaType.parseAccept([header + ", c/d"]) == ["c/d"])
    }

    @Test(arguments: ["a/b;q=0.5", "a/b;q=1", "a/b;q=0.01", "a/b;q=0.001", "a/b;q=1.0", "a/b;qq=0", "a/b;x-q=0"])
    func keepsEntriesWithNonZeroQ(_ header: String) {
        #expect(MediaType.parseAccept([header]) == ["a/b"])
    }

    /// RFC 9110 §12.4.2 qvalue = "0" [ "." 0*3DIGIT ], and parameter names are
    /// case-insensitive, so `q=0.00`, `q=0.000` and `Q=0` all mean "not acceptable".
    @Test(arguments: ["a/b;q=0.00", "a/b;q=0.000", "a/b;Q=0", "a/b;Q=0.0"])
    func dropsEveryFormOfQZero(_ header: String) {
        #expect(MediaType.parseAccept([header]) == [])
    }

    @Test func lowercasesTypes() {
        #expect(MediaType.parseAccept(["Application/VND.OCI.Image.Index.v1+JSON"]) == [MediaType.ociIndex])
    }

    @Test func skipsEmptyEntries() {
        #expect(MediaType.parseAccept([]) == nil)
        #expect(MediaType.parseAccept([""]) == nil)
        #expect(MediaType.parseAccept([",,", " , ", " ; charset=x", "\t"]) == nil)
        #expect(MediaType.parseAccept(["a/b,,c/d, ,"]) == ["a/b", "c/d"])
    }

    @Test func keepsWildcards() {
        #expect(MediaType.parseAccept(["*/*", "application/*;q=0.8"]) == ["*/*", "application/*"])
    }

    // MARK: - accepts

    @Test(arguments: MediaType.allManifestTypes + ["application/octet-stream", "text/plain", ""])
    func noPreferenceAcceptsEverything(_ mediaType: String) {
        #expect(MediaType.accepts(nil, mediaType))
        #expect(!MediaType.accepts([], mediaType))
        #expect(MediaType.accepts(MediaType.parseAccept([]), mediaType))
        #expect(MediaType.accepts(MediaType.parseAccept([""]), mediaType))
    }

    @Test func exactMatch() {
        let accepted = MediaType.parseAccept([MediaType.ociManifest, MediaType.dockerManifest])
        #expect(MediaType.accepts(accepted, MediaType.ociManifest))
        #expect(MediaType.accepts(accepted, MediaType.dockerManifest))
        #expect(!MediaType.accepts(accepted, MediaType.ociIndex))
        #expect(!MediaType.accepts(accepted, MediaType.dockerManifestList))
    }

    @Test func acceptHeaderCaseDoesNotMatter() {
        let accepted = MediaType.parseAccept(["APPLICATION/VND.OCI.IMAGE.INDEX.V1+JSON"])
        #expect(MediaType.accepts(accepted, MediaType.ociIndex))
    }

    @Test func fullWildcard() {
        let accepted = MediaType.parseAccept(["*/*"])
        for type in MediaType.allManifestTypes + ["text/plain"] {
            #expect(MediaType.accepts(accepted, type))
        }
    }

    @Test func familyWildcard() {
        let accepted = MediaType.parseAccept(["application/*"])
        for type in MediaType.allManifestTypes {
            #expect(MediaType.accepts(accepted, type))
        }
        #expect(!MediaType.accepts(accepted, "text/plain"))
        #expect(!MediaType.accepts(MediaType.parseAccept(["text/*"]), MediaType.ociManifest))
        #expect(!MediaType.accepts(MediaType.parseAccept(["*"]), MediaType.ociManifest))
        #expect(!MediaType.accepts(MediaType.parseAccept(["application"]), MediaType.ociManifest))
    }

    @Test func refusedEntriesDoNotCount() {
        let accepted = MediaType.parseAccept(["\(MediaType.ociIndex);q=0, \(MediaType.ociManifest)"])
        #expect(accepted == [MediaType.ociManifest])
        #expect(!MediaType.accepts(accepted, MediaType.ociIndex))
        #expect(MediaType.accepts(accepted, MediaType.ociManifest))
    }

    @Test func dockerClientDefaultAcceptsEverySupportedManifestType() {
        // `docker pull` sends one Accept header per type.
        let accepted = MediaType.parseAccept(MediaType.allManifestTypes)
        for type in MediaType.allManifestTypes {
            #expect(MediaType.accepts(accepted, type))
        }
        #expect(!MediaType.accepts(accepted, "application/vnd.docker.distribution.manifest.v1+prettyjws"))
    }

    /// A client whose only Accept entries are refused (`q=0`) must not be treated as
    /// having no preference.
    @Test(arguments: [
        "\(MediaType.ociIndex);q=0",
        "*/*;q=0",
        "application/*;q=0",
    ])
    func refusingEverythingDoesNotMeanAcceptingEverything(_ header: String) {
        #expect(!MediaType.accepts(MediaType.parseAccept([header]), MediaType.ociIndex))
    }

    /// Found by fuzzing: a `,` or `;` followed by a combining mark (or a space followed
    /// by one) is one Character with it, so entries were not split or trimmed there. An
    /// Accept header is split and trimmed at bytes.
    @Test func splitsAndTrimsAtBytesEvenBeforeCombiningMarks() {
        #expect(MediaType.parseAccept(["a/b,\u{301}c/d"]) == ["a/b", "\u{301}c/d"])
        #expect(MediaType.parseAccept(["a/b;\u{301}x=1;q=0, c/d"]) == ["c/d"])
        #expect(MediaType.parseAccept(["a/b, \u{301}c/d"]) == ["a/b", "\u{301}c/d"])
    }

    // MARK: - Well-formed media types

    @Test(arguments: MediaType.allManifestTypes + ["text/html", "application/octet-stream", "a/b", "A1/x.y+z", "application/vnd.a!#$&-^_.+"])
    func wellFormedTypes(_ type: String) {
        #expect(MediaType.isWellFormed(type))
    }

    @Test(arguments: [
        "", "/", "a/", "/b", "a/b/c", "a", "a /b", "a/ b", " a/b", "a/b;x=y", "a/b\n", "a\r\n/b", "a/b\u{0}",
        "-a/b", "a/.b", "\u{e9}/b", "a/b\u{301}", "a/*", "*/*", "<a>/b",
    ])
    func malformedTypes(_ type: String) {
        #expect(!MediaType.isWellFormed(type))
    }

    @Test func namesAreAtMost127Characters() {
        let longest = String(repeating: "a", count: 127)
        #expect(MediaType.isWellFormed("\(longest)/\(longest)"))
        #expect(!MediaType.isWellFormed("\(longest)a/b"))
        #expect(!MediaType.isWellFormed("a/\(longest)a"))
    }
}
