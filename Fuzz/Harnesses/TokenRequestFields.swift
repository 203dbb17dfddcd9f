import Foundation
import Gateway
import OCI

/// `TokenRequestFields` (the token endpoint's `scope` values and form body): every
/// scope has a type and a name, is split at its first and last colon (its actions at
/// commas) and prints back to itself; form fields printed as a client encodes them
/// parse back to the same fields; no input traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput(data, size).text
    for scope in TokenRequestFields.scopes(text) {
        fuzzCheck(!scope.type.isEmpty && !scope.name.isEmpty, "scope \(fuzzShow(scope)) lacks a type or name")
        // The type ends at the first colon, the actions start after the last and split at commas.
        let colon = UInt8(ascii: ":")
        let comma = UInt8(ascii: ",")
        fuzzCheck(!scope.type.utf8.contains(colon) && !scope.actions.contains { $0.utf8.contains(colon) }, "scope \(fuzzShow(scope)) split at the wrong colon")
        fuzzCheck(!scope.actions.contains { $0.isEmpty || $0.utf8.contains(comma) }, "scope \(fuzzShow(scope)) split at the wrong comma")
        fuzzCheck((try? Scope(parsing: scope.description)) == scope, "scope \(fuzzShow(scope)) does not parse back")
    }
    let fields = TokenRequestFields.formFields(text)
    let printed = formURLEncoded(fields.sorted { $0.key < $1.key }.map { (name: $0.key, value: $0.value) })
    fuzzCheck(TokenRequestFields.formFields(printed) == fields, "\(fuzzShow(fields)) printed as \(fuzzShow(printed)) does not parse back")
    return 0
}
