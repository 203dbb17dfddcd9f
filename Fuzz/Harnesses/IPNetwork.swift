@testable import Gateway

/// `IPNetwork(_:)`, `contains` and `clientKey(for:)`: an accepted network has no NUL,
/// a prefix within the address size, contains its own address and, for IPv4, prints
/// back to itself; no input traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = FuzzInput(data, size).text
    _ = IPNetwork.clientKey(for: text)
    if let key = IPNetwork.clientKey(for: text), !key.hasSuffix("::/64") {
        fuzzCheck(IPNetwork(key) != nil, "client key \(fuzzShow(key)) is not an address")
    }
    guard let network = IPNetwork(text) else { return 0 }
    fuzzCheck(!text.utf8.contains(0), "accepted \(fuzzShow(text)), which has a NUL")
    fuzzCheck(network.prefixLength >= 0 && network.prefixLength <= network.address.count * 8, "prefix \(network.prefixLength)")
    let address = String(text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)[0])
    fuzzCheck(network.contains(address), "\(fuzzShow(text)) does not contain its own address")
    fuzzCheck(!network.contains(address + "\u{0}"), "contains an address with a NUL")
    if network.address.count == 4 {
        fuzzCheck(IPNetwork(network.description) == network, "\(network) does not parse back")
    }
    return 0
}
