import OCI

/// `MediaType.parseAccept` and `MediaType.accepts`: the listed types are trimmed,
/// lowercased and free of separators, printing them as one header gives them back,
/// and a client accepts every type it listed.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    // NUL separates header lines: a request may send several Accept headers.
    let headers = FuzzInput(data, size).fields(1).map { String(decoding: $0, as: UTF8.self) }
    guard let types = MediaType.parseAccept(headers) else {
        fuzzCheck(MediaType.accepts(nil, MediaType.ociIndex), "no preference must accept anything")
        return 0
    }
    for type in types {
        fuzzCheck(!type.isEmpty && type == type.lowercased(), "type \(fuzzShow(type)) is empty or not lowercase")
        // Bytes, not Characters: a separator followed by a combining mark is still one.
        fuzzCheck(!type.utf8.contains { $0 == UInt8(ascii: ",") || $0 == UInt8(ascii: ";") }, "type \(fuzzShow(type)) keeps a separator")
        let whitespace: [UInt8] = [0x20, 0x09]
        fuzzCheck(!whitespace.contains(type.utf8.first!) && !whitespace.contains(type.utf8.last!), "type \(fuzzShow(type)) keeps whitespace")
        fuzzCheck(MediaType.accepts(types, type), "listed type \(fuzzShow(type)) is not accepted")
    }
    if !types.isEmpty {
        let printed = types.joined(separator: ", ")
        fuzzCheck(MediaType.parseAccept([printed]) == types, "\(fuzzShow(printed)) does not parse back to \(fuzzShow(types))")
    }
    return 0
}
