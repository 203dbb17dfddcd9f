import OCI

/// `ByteRange.parse` (the `Range` header): an accepted range is ordered and prints back
/// to an equal range; `resolve(size:)` never selects a byte outside the body.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let header = FuzzInput(data, size).text
    let parsed: ByteRange?
    do {
        parsed = try ByteRange.parse(header)
    } catch {
        fuzzCheck(error.code == .rangeInvalid, "error code \(error.code) for \(fuzzShow(header))")
        return 0
    }
    guard let range = parsed else { return 0 }
    let printed: String
    switch range {
    case .from(let start, let end):
        fuzzCheck(start >= 0 && (end ?? start) >= start, "unordered range \(range) from \(fuzzShow(header))")
        printed = "bytes=\(start)-\(end.map(String.init) ?? "")"
    case .suffix(let count):
        fuzzCheck(count > 0, "empty suffix range from \(fuzzShow(header))")
        printed = "bytes=-\(count)"
    }
    fuzzCheck((try? ByteRange.parse(printed)) == range, "\(printed) does not parse back to \(range)")
    for bodySize: Int64 in [0, 1, 2, 7, 4096, 1 << 40, Int64.max] {
        guard let span = range.resolve(size: bodySize) else { continue }
        fuzzCheck(span.lowerBound >= 0 && span.upperBound < bodySize, "\(range) selects \(span) of \(bodySize) bytes")
    }
    return 0
}
