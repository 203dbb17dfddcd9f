import OCI

/// `AuthChallenge.parse` and `headerValue()`: a rendered challenge parses back to the
/// same challenge (control characters, which a header cannot carry, dropped) and
/// never contains CR, LF or NUL.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    if let parsed = AuthChallenge.parse(input.text) {
        checkRoundTrip(parsed)
    }
    // The same bytes as parameter values of a challenge Ferry would send.
    let values = input.fields(4).map { String(decoding: $0, as: UTF8.self) }
    checkRoundTrip(AuthChallenge(scheme: "bearer", parameters: ["realm": values[0], "service": values[1], "scope": values[2], "x-extra": values[3]]))
    return 0
}

private func checkRoundTrip(_ challenge: AuthChallenge) {
    let header = challenge.headerValue()
    fuzzCheck(!header.utf8.contains { $0 == 0x0d || $0 == 0x0a || $0 == 0 }, "header value \(fuzzShow(header)) has CR, LF or NUL")
    let expected = AuthChallenge(scheme: challenge.scheme, parameters: challenge.parameters.mapValues(withoutControlCharacters))
    if header.utf8.count > 8192 { return }
    let reparsed = AuthChallenge.parse(header)
    fuzzCheck(reparsed == expected, "\(fuzzShow(header)) parses to \(fuzzShow(reparsed as Any)), expected \(fuzzShow(expected))")
}

/// What `headerValue()` drops from a value: C0 controls and DEL.
private func withoutControlCharacters(_ text: String) -> String {
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: text.unicodeScalars.filter { $0.value >= 0x20 && $0.value != 0x7f })
    return String(scalars)
}
