import Foundation

/// The registry token service's signing.
///
/// Configuration keys:
/// - `token.issuer`: the JWT issuer (default `ferry`).
/// - `token.lifetime`: how long a bearer token lives (1m–1d, default 5m).
/// - `token.key-file`, `token.certificate-file`: a P-256 key and certificate in PEM,
///   instead of keys kept (and rotated) in PostgreSQL.
/// - `token.recheck-interval`: how long the standing of a bearer token's credential, a
///   mirror key's owner and a subscriber's plan are remembered before they are read
///   again: how soon a revocation, suspension or expiry bites (0s–1m, default 5s).
/// - `token.key-reload-interval`: how often every server reloads the signing keys kept in
///   PostgreSQL (1s–5m, default 30s). A rotated-in key signs only after two and a half
///   intervals, when every server verifies it; every server must use the same value.
/// - `token.service` (the JWT audience) is part of `GatewayConfiguration`.
public struct TokenConfiguration: Sendable {
    public var issuer: String
    /// Seconds a bearer token is valid.
    public var lifetime: Int
    /// PEM files for the signing key and certificate; nil keeps keys in PostgreSQL.
    public var signingKeyFiles: SigningKeyFiles?
    /// Seconds a credential's or subscriber's standing is remembered.
    public var recheckInterval: TimeInterval
    /// Seconds between reloads of the signing keys kept in PostgreSQL.
    public var keyReloadInterval: TimeInterval

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        let token = reader.scoped(to: "token")
        issuer = token.string("issuer", default: "ferry")
        lifetime = Int(try token.duration("lifetime", default: .seconds(300), range: .seconds(60)...(.seconds(86400))).components.seconds)
        recheckInterval = TimeInterval(try token.duration("recheck-interval", default: .seconds(5), range: .zero...(.seconds(60))).components.seconds)
        keyReloadInterval = TimeInterval(try token.duration("key-reload-interval", default: .seconds(30), range: .seconds(1)...(.seconds(300))).components.seconds)
        let key = token.string("key-file")
        let certificate = token.string("certificate-file")
        switch (key, certificate) {
        case (let key?, let certificate?): signingKeyFiles = SigningKeyFiles(key: key, certificate: certificate)
        case (.some, nil): throw ConfigurationError("token.certificate-file: required with token.key-file")
        case (nil, .some): throw ConfigurationError("token.key-file: required with token.certificate-file")
        case (nil, nil): signingKeyFiles = nil
        }
    }
}
