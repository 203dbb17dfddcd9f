import Foundation
import Testing

@testable import Cache

/// The `mediaType` a manifest body declares, used when an upstream sends a generic
/// `Content-Type`: it is stored as the first line of the manifest file and echoed in
/// errors, so only a well-formed media type may be taken.
@Suite struct DeclaredMediaTypeTests {
    func declared(_ json: String) -> String? {
        ManifestFields.declaredMediaType(Array(json.utf8))
    }

    @Test func readsTheDeclaredType() {
        #expect(declared(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}"#) == "application/vnd.oci.image.index.v1+json")
        #expect(declared(#"{"mediaType":"application/vnd.docker.distribution.manifest.v2+json"}"#) == "application/vnd.docker.distribution.manifest.v2+json")
    }

    @Test(arguments: [#"{}"#, #"{"mediaType":null}"#, "not json", #"{"mediaType":7}"#, ""])
    func noDeclaredType(_ json: String) {
        #expect(declared(json) == nil)
    }

    /// Found by fuzzing: any JSON string was taken, including one with a newline that
    /// splits the stored manifest file's header line.
    @Test(arguments: [
        #"{"mediaType":"application/vnd.oci.image.manifest.v1+json\nX-Injected: 1"}"#,
        #"{"mediaType":"a\r\nb/c"}"#,
        #"{"mediaType":""}"#,
        #"{"mediaType":"json"}"#,
        #"{"mediaType":"application/"}"#,
        #"{"mediaType":"/json"}"#,
        #"{"mediaType":"application/json/x"}"#,
        #"{"mediaType":"application/js on"}"#,
        #"{"mediaType":"application/json; charset=utf-8"}"#,
        #"{"mediaType":"appl\u00efcation/json"}"#,
        #"{"mediaType":"application/json\u0000"}"#,
        #"{"mediaType":"<script>/x"}"#,
    ])
    func malformedDeclaredTypesAreIgnored(_ json: String) {
        #expect(declared(json) == nil)
    }
}
