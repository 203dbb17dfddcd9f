import OCI

/// `RegistryRoute.parse` (the `/v2` path router): an accepted path is ASCII without `%`,
/// is exactly the path its route prints as (so nothing is mis-routed), and parses back
/// to the same route; a malformed one throws a client error, never traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size).text
    // Most interesting paths are under /v2/: give the fuzzer that prefix for free half the time.
    for path in [input, "/v2/" + input] {
        check(path)
    }
    return 0
}

private func check(_ path: String) {
    let route: RegistryRoute?
    do {
        route = try RegistryRoute.parse(path: path)
    } catch {
        let codes: [OCIErrorCode] = [.nameInvalid, .nameUnknown, .manifestUnknown, .digestInvalid]
        fuzzCheck(codes.contains(error.code), "error code \(error.code) for \(fuzzShow(path))")
        return
    }
    guard let route else {
        fuzzCheck(!path.utf8.starts(with: "/v2/".utf8) && path != "/v2", "\(fuzzShow(path)) is under /v2 but not routed")
        return
    }
    fuzzCheck(path.utf8.allSatisfy { $0 < 0x80 && $0 != UInt8(ascii: "%") }, "accepted a non-ASCII or %-encoded path \(fuzzShow(path)) as \(fuzzShow(route))")
    fuzzCheck(path.utf8.count <= RegistryRoute.maximumPathLength, "accepted an over-long path")
    if let name = route.name {
        fuzzCheck(!name.utf8.contains(UInt8(ascii: "%")), "name \(fuzzShow(name)) keeps a %")
    }
    switch route {
    case .upload(let name):
        fuzzCheck(path.hasPrefix("/v2/\(name)/blobs/uploads"), "\(fuzzShow(path)) routed as an upload to \(fuzzShow(name))")
    default:
        let printed = printedPath(of: route)
        fuzzCheck(printed == path || (route == .base && path == "/v2"), "\(fuzzShow(path)) routed as \(fuzzShow(route)), which is \(fuzzShow(printed))")
        fuzzCheck((try? RegistryRoute.parse(path: printed)) == route, "\(fuzzShow(printed)) does not parse back to \(fuzzShow(route))")
    }
}

/// The path a route is read from (uploads have several).
private func printedPath(of route: RegistryRoute) -> String {
    switch route {
    case .base: "/v2/"
    case .catalog: "/v2/_catalog"
    case .manifest(let name, let reference): "/v2/\(name)/manifests/\(reference)"
    case .blob(let name, let digest): "/v2/\(name)/blobs/\(digest)"
    case .tags(let name): "/v2/\(name)/tags/list"
    case .upload(let name): "/v2/\(name)/blobs/uploads/"
    }
}
