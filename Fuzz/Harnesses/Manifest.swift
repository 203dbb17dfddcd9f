import Foundation
import OCI

@testable import Cache

/// The manifest JSON Ferry reads from upstreams: an image index's entries carry valid
/// digests, and a declared media type is taken only when it is well-formed (it becomes
/// the first line of the stored manifest file and a response header); no input traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = FuzzInput(data, size).bytes
    if let index = try? JSONDecoder().decode(ImageIndex.self, from: Data(bytes)) {
        for entry in index.manifests {
            fuzzCheck((try? Digest(parsing: entry.digest.description)) == entry.digest, "entry digest \(fuzzShow(entry.digest)) is not valid")
        }
    }
    if let declared = ManifestFields.declaredMediaType(bytes) {
        fuzzCheck(MediaType.isWellFormed(declared), "declared media type \(fuzzShow(declared)) is not well-formed")
        fuzzCheck(!declared.utf8.contains { $0 < 0x20 || $0 >= 0x7f }, "declared media type \(fuzzShow(declared)) has a control or non-ASCII byte")
    }
    return 0
}
