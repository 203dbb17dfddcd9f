import Foundation
import OCI

/// The OCI error document and `OCIError.quote`: a decoded document re-encodes to an
/// equal one, any message survives encoding, and a quote of untrusted input is short
/// and printable ASCII.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    if let document = try? JSONDecoder().decode(OCIErrorResponse.self, from: Data(input.bytes)) {
        let again = try? JSONDecoder().decode(OCIErrorResponse.self, from: document.jsonData())
        fuzzCheck(again == document, "document does not survive re-encoding: \(fuzzShow(document))")
    }
    let text = input.text
    let code = OCIErrorCode.allCases[input.bytes.count % OCIErrorCode.allCases.count]
    let response = OCIErrorResponse(code, message: text, detail: ["input": text])
    let decoded = try? JSONDecoder().decode(OCIErrorResponse.self, from: response.jsonData())
    fuzzCheck(decoded == response, "message \(fuzzShow(text)) does not survive encoding")

    let quoted = OCIError.quote(text)
    fuzzCheck(quoted.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f } || quoted.hasSuffix("…\""), "quote \(fuzzShow(quoted)) is not printable ASCII")
    fuzzCheck(quoted.unicodeScalars.filter { !$0.isASCII }.allSatisfy { $0 == "…" }, "quote \(fuzzShow(quoted)) lets non-ASCII through")
    fuzzCheck(quoted.unicodeScalars.count <= 64 + 3, "quote of \(text.unicodeScalars.count) scalars is \(quoted.unicodeScalars.count) long")
    return 0
}
