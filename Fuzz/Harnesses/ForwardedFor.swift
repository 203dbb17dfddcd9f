import OCI

@testable import Gateway

/// `ForwardedFor.client(in:isTrusted:)`: the client is an address (no NUL) that is
/// one of the header's hops and not trusted, and every hop to its right is trusted.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let header = FuzzInput(data, size).text
    let proxies = [IPNetwork("10.0.0.0/8")!, IPNetwork("fd00::/8")!]
    let isTrusted = { (address: String) in proxies.contains { $0.contains(address) } }
    guard let client = ForwardedFor.client(in: header, isTrusted: isTrusted) else { return 0 }
    fuzzCheck(!client.utf8.contains(0) && IPNetwork.bytes(of: client) != nil, "client \(fuzzShow(client)) is not an address")
    fuzzCheck(!isTrusted(client), "client \(fuzzShow(client)) is a trusted proxy")
    let hops = header.split(separator: ",").map { IPNetwork.strippingPort(String($0.trimmingHTTPWhitespace())) }
    guard let index = hops.lastIndex(of: client) else { fuzzFailure("client \(fuzzShow(client)) is not a hop of \(fuzzShow(header))") }
    fuzzCheck(hops[(index + 1)...].allSatisfy(isTrusted), "an untrusted hop is right of \(fuzzShow(client)) in \(fuzzShow(header))")
    return 0
}
