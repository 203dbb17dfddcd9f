import Foundation
import OCI

/// Fields read from a manifest body an upstream sent (untrusted input: pure, fuzzed).
enum ManifestFields {
    /// The `mediaType` the manifest declares, for upstreams that send a generic
    /// `Content-Type`. Nil unless it is a well-formed media type: the type becomes the
    /// first line of the stored manifest file and appears in responses and errors.
    static func declaredMediaType(_ bytes: [UInt8]) -> String? {
        struct Declared: Decodable { let mediaType: String? }
        guard let declared = (try? JSONDecoder().decode(Declared.self, from: Data(bytes)))?.mediaType,
              MediaType.isWellFormed(declared)
        else { return nil }
        return declared
    }
}
