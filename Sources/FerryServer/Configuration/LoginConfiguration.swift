/// Password checks (Argon2) and their global budget.
///
/// Configuration keys:
/// - `login.password-check-cores`: the CPU password checks may use at most, in cores
///   (0.05–64, default 0.25: a quarter of one core, about 10 checks a second at the
///   default Argon2 cost). Cached logins, access tokens, refresh tokens and mirror keys
///   never use it.
/// - `login.password-check-queue`: password checks waiting or running at most; past it
///   a login gets 429 with `Retry-After` (1–10000, default 64). One client network may
///   hold 1/16 of it, one IPv6 /48 a quarter, and a quarter is kept for logins from
///   places where the user logged in before.
/// - `login.busy-delay`: how long a login refused because the checks are saturated
///   waits before its 429, so a client retrying at once cannot spin the server (0s–10s,
///   default 1s).
public struct LoginConfiguration: Sendable, Equatable {
    public var passwordCheckCores: Double
    public var passwordCheckQueue: Int
    public var busyDelay: Duration

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        let login = reader.scoped(to: "login")
        passwordCheckCores = try login.double("password-check-cores", default: 0.25, range: 0.05...64)
        passwordCheckQueue = try login.int("password-check-queue", default: 64, range: 1...10_000)
        busyDelay = try login.duration("busy-delay", default: .seconds(1), range: .zero...(.seconds(10)))
    }
}
