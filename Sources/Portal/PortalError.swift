/// Why a portal request cannot be answered with the page it asked for. Mapped to a
/// response in one place, `PortalErrorMiddleware`.
public enum PortalError: Error, Sendable, Equatable {
    /// No live session: go to the sign-in page.
    case signInRequired
    /// Signed in, but the page is for admins.
    case adminOnly
    /// The form's CSRF token or `Origin` did not match.
    case forgedForm
    /// The request makes no sense (missing or malformed field); the message says why.
    case badRequest(String)
    /// No such page.
    case notFound
    /// Too many requests from this client; try again after this many seconds.
    case tooManyRequests(retryAfter: Int)
}

extension String {
    /// A one-line error message as a sentence: `no such user: bob` → `No such user: bob.`
    var asSentence: String {
        guard let first else { return self }
        return first.uppercased() + dropFirst() + (hasSuffix(".") ? "" : ".")
    }
}
