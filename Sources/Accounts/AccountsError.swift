/// Why an account operation failed. Messages are one line and safe to show to the
/// operator (CLI) or, where noted, to the client.
public enum AccountsError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidUsername(String)
    case invalidEmail(String)
    case weakPassword(String)
    case userNotFound(String)
    case userExists(String)
    case tokenNotFound(String)
    case refreshTokenNotFound(Int64)
    case signingKeyNotFound(String)
    /// The operation would leave things broken (e.g. no signing key at all).
    case refused(String)
    case mirrorKeyNotFound(String)
    /// The database could not be reached or answered with an error.
    case databaseUnavailable(String)
    case internalFailure(String)

    public var description: String {
        switch self {
        case .invalidUsername(let message), .invalidEmail(let message), .weakPassword(let message), .refused(let message),
             .databaseUnavailable(let message), .internalFailure(let message):
            message
        case .userNotFound(let name): "no such user: \(name)"
        case .userExists(let name): "user \(name) already exists"
        case .tokenNotFound(let id): "no such access token: \(id)"
        case .refreshTokenNotFound(let id): "no such refresh token: \(id)"
        case .signingKeyNotFound(let keyID): "no such signing key: \(keyID)"
        case .mirrorKeyNotFound(let id): "no such mirror key: \(id)"
        }
    }
}
