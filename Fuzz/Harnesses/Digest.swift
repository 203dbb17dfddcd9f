import Foundation
import OCI

/// `Digest(parsing:)` and `Reference(parsing:)`: an accepted digest prints back as the
/// input, rebuilds from its hash bytes and survives JSON; a tag matches the spec's
/// pattern; every rejection carries the right code.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput(data, size).text
    checkDigest(text)
    checkReference(text)
    return 0
}

private func checkDigest(_ text: String) {
    let digest: Digest
    do {
        digest = try Digest(parsing: text)
    } catch {
        fuzzCheck(error.code == .digestInvalid, "digest error code \(error.code) for \(fuzzShow(text))")
        return
    }
    fuzzCheck(digest.description == text, "digest prints as \(fuzzShow(digest)) for \(fuzzShow(text))")
    fuzzCheck(digest.hex.utf8.count == digest.algorithm.hexLength, "hex length")
    fuzzCheck(digest.hex.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }, "hex is not lowercase hex")
    let bytes = stride(from: 0, to: digest.hex.utf8.count, by: 2).map { offset in
        UInt8(String(digest.hex.dropFirst(offset).prefix(2)), radix: 16)!
    }
    fuzzCheck(Digest(algorithm: digest.algorithm, bytes: bytes) == digest, "rebuilding from bytes changed \(fuzzShow(text))")
    let decoded = try? JSONDecoder().decode(Digest.self, from: JSONEncoder().encode(digest))
    fuzzCheck(decoded == digest, "JSON round trip changed \(fuzzShow(text))")
}

private func checkReference(_ text: String) {
    let reference: Reference
    do {
        reference = try Reference(parsing: text)
    } catch {
        fuzzCheck([.digestInvalid, .manifestUnknown].contains(error.code), "reference error code \(error.code)")
        return
    }
    fuzzCheck(reference.description == text, "reference prints as \(fuzzShow(reference)) for \(fuzzShow(text))")
    switch reference {
    case .digest(let digest):
        fuzzCheck((try? Digest(parsing: text)) == digest, "reference and digest parsers disagree")
    case .tag(let tag):
        let bytes = Array(tag.utf8)
        func isWord(_ byte: UInt8) -> Bool {
            (0x30...0x39).contains(byte) || (0x41...0x5a).contains(byte) || (0x61...0x7a).contains(byte) || byte == 0x5f
        }
        fuzzCheck(!bytes.isEmpty && bytes.count <= 128 && isWord(bytes[0]), "tag \(fuzzShow(tag)) breaks the length or first-character rule")
        fuzzCheck(bytes.allSatisfy { isWord($0) || $0 == 0x2e || $0 == 0x2d }, "tag \(fuzzShow(tag)) has a character outside [A-Za-z0-9._-]")
    }
}
