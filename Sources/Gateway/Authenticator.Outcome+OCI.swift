import Accounts
import OCI

extension Authenticator.Outcome {
    /// The user and credential of a successful login; otherwise the error the client
    /// gets (401 for a wrong login, 403 for a suspended account, 429 when throttled).
    func authenticated() throws -> (User, Credential) {
        switch self {
        case .authenticated(let user, let credential): return (user, credential)
        case .rejected: throw OCIError(.unauthorized, "invalid username or password")
        case .suspended(let message): throw OCIError(.denied, message)
        case .throttled(let retryAfter): throw TooManyRequests(retryAfter: retryAfter, message: "too many login attempts, or password checks busy: try again in \(retryAfter) seconds")
        }
    }
}
