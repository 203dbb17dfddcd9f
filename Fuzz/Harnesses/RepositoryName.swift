import Foundation
import OCI

/// The distribution spec's name grammar, written independently of the parser.
/// (libFuzzer calls the harness from one thread.)
nonisolated(unsafe) private let grammar = try! Regex("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*")

/// `RepositoryName(parsing:)`: accepts exactly the names the OCI grammar matches (at
/// most 255 bytes), keeps them unchanged, and survives a JSON round trip.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput(data, size).text
    let name = try? RepositoryName(parsing: text)
    let ascii = text.utf8.allSatisfy { $0 < 0x80 }
    let matches = ascii && text.utf8.count <= RepositoryName.maximumLength
        && (try? grammar.matchingSemantics(.unicodeScalar).wholeMatch(in: text)) != nil
    fuzzCheck((name != nil) == matches, "parser and grammar disagree on \(fuzzShow(text)): parser \(name != nil), grammar \(matches)")
    guard let name else { return 0 }
    fuzzCheck(name.value == text && name.description == text, "name changed: \(fuzzShow(name.value))")
    fuzzCheck(name.components.joined(separator: "/") == text, "components do not rebuild \(fuzzShow(text))")
    let decoded = try? JSONDecoder().decode(RepositoryName.self, from: JSONEncoder().encode(name))
    fuzzCheck(decoded == name, "JSON round trip changed \(fuzzShow(text))")
    if let prefixed = try? name.prefixed(with: "library") {
        fuzzCheck(prefixed.value == "library/" + text, "prefixed name is \(fuzzShow(prefixed.value))")
    } else {
        fuzzCheck(text.utf8.count + 8 > RepositoryName.maximumLength, "prefixing a short name failed")
    }
    return 0
}
