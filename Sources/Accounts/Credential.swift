/// What a subscriber proved to get a bearer token. Tokens carry it (`cred` claim) so
/// revoking that credential ends the tokens minted with it within seconds, not at
/// their expiry.
public enum Credential: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The password, as of this password epoch (a password change ends such tokens).
    case password(epoch: Int)
    /// A personal access token, by id.
    case accessToken(id: Int64)
    /// A refresh token (docker's stored login), by id.
    case refreshToken(id: Int64)

    /// `pw:3`, `pat:12`, `rt:40`: the form carried in tokens.
    public var description: String {
        switch self {
        case .password(let epoch): "pw:\(epoch)"
        case .accessToken(let id): "pat:\(id)"
        case .refreshToken(let id): "rt:\(id)"
        }
    }

    /// Parses the claim form; nil when malformed.
    public init?(_ text: String) {
        let parts = text.split(separator: ":", maxSplits: 1)
        guard parts.count == 2, let number = Int64(parts[1]), number >= 0 else { return nil }
        switch parts[0] {
        case "pw": self = .password(epoch: Int(number))
        case "pat": self = .accessToken(id: number)
        case "rt": self = .refreshToken(id: number)
        default: return nil
        }
    }
}
