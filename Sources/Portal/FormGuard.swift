import Hummingbird

/// CSRF protection for every form: the form must echo the session's token (compared
/// in constant time), and a browser's `Origin`, when it sends one, must be this site.
struct FormGuard: Sendable {
    let settings: PortalSettings

    /// Throws `forgedForm` unless `submitted` matches `expected` and the origin is ours.
    func check(_ request: Request, submitted: String?, expected: String, forwardedBase: String?) throws(PortalError) {
        guard let submitted, Self.constantTimeEquals(submitted, expected) else { throw .forgedForm }
        guard originAllowed(request, forwardedBase: forwardedBase) else { throw .forgedForm }
    }

    /// An absent `Origin` passes (older browsers, same-origin GETs turned POST by a
    /// redirect); a present one must be the public URL's origin, the origin a trusted
    /// proxy reported, or the host the request was sent to (its authority).
    func originAllowed(_ request: Request, forwardedBase: String?) -> Bool {
        guard let origin = request.headers[.origin]?.lowercased() else { return true }
        if origin == settings.origin.lowercased() { return true }
        if let forwardedBase, origin == forwardedBase.lowercased() { return true }
        guard let host = request.head.authority?.lowercased() else { return false }
        return origin == "http://\(host)" || origin == "https://\(host)"
    }

    /// Compares two strings in time that depends only on their lengths.
    static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        let left = Array(lhs.utf8)
        let right = Array(rhs.utf8)
        guard left.count == right.count else { return false }
        var difference: UInt8 = 0
        for index in left.indices { difference |= left[index] ^ right[index] }
        return difference == 0
    }
}
