import Crypto
import Foundation
import JWTKit
import Synchronization

/// A freshly issued registry token.
public struct IssuedToken: Sendable {
    public let token: String
    public let expiresIn: Int
    public let issuedAt: Date
    public let claims: RegistryClaims
}

/// Why a bearer token was refused (the gateway answers 401 `invalid_token`).
public enum TokenRejection: Error, Sendable, Equatable {
    case malformed
    case badSignature
    case expired
    case notYetValid
    case wrongAudience
    case wrongIssuer
}

/// Issues and verifies the ES256 registry tokens. Every key it holds verifies, so a
/// rotated-out key keeps its tokens valid until they expire. Rotation has two phases: a
/// new key verifies as soon as it is loaded but signs only once it is `publishDelay`
/// old, by which time every server sharing the keys has loaded it (each reloads every
/// `reloadInterval`), so no server refuses a token another one signed. A lone key signs
/// at once.
public final class RegistryTokenService: Sendable {
    public let issuer: String
    public let service: String
    /// Token lifetime in seconds.
    public let lifetime: Int
    /// Clock skew tolerated on `exp` and `nbf`.
    public let leeway: Int = 30
    /// How often servers reload the shared keys (`token.key-reload-interval`).
    public let reloadInterval: TimeInterval
    /// How old a key must be before it signs.
    public var publishDelay: TimeInterval { Self.publishDelay(reloadInterval: reloadInterval) }

    /// How old a key must be before it signs when servers reload every `reloadInterval`:
    /// two and a half intervals (each server has reloaded at least twice by then).
    public static func publishDelay(reloadInterval: TimeInterval) -> TimeInterval { reloadInterval * 2.5 }
    /// How long a superseded key must keep verifying: the tokens it signed until its
    /// successor took over live one lifetime (and the leeway) more.
    public var retention: TimeInterval { TimeInterval(lifetime + leeway) + publishDelay }

    private struct KeySet: Sendable {
        let collection: JWTKeyCollection
        /// Oldest first.
        let keys: [SigningKey]
        /// Each key's certificate chain as JWTKit writes it into `x5c`, by key id.
        let chains: [String: [String]]
        var keyIDs: Set<String> = []
        /// Tokens whose signature was checked with `collection` (by SHA-256): an ES256
        /// verification costs more than the rest of a cached manifest GET, and a client
        /// sends the same token for minutes. New keys start it empty, so a revoked key
        /// stops verifying at once; bounded (emptied when full).
        var verified: [SHA256Digest: RegistryClaims] = [:]

        /// The newest key at least `delay` old; the oldest when none is (a first key).
        func signer(at now: Date, delay: TimeInterval) -> SigningKey? {
            keys.last { $0.createdAt <= now.addingTimeInterval(-delay) } ?? keys.first
        }
    }

    private let keySet: Mutex<KeySet>
    /// Verified signatures remembered at most.
    static let verifiedLimit = 8192

    /// Creates the service with no keys; call `replaceKeys` before issuing.
    public init(issuer: String, service: String, lifetime: Int, reloadInterval: TimeInterval = 30) {
        self.issuer = issuer
        self.service = service
        self.lifetime = lifetime
        self.reloadInterval = reloadInterval
        self.keySet = Mutex(KeySet(collection: JWTKeyCollection(), keys: [], chains: [:]))
    }

    /// Installs a new set of keys; each verifies at once and signs from `publishDelay`
    /// after its creation.
    public func replaceKeys(_ keys: [SigningKey]) async throws {
        let collection = JWTKeyCollection()
        var chains: [String: [String]] = [:]
        for key in keys {
            await collection.add(ecdsa: try ES256PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.keyID))
            // JWTKit takes the chain as PEM, checks it, and writes base64 DER into the header.
            chains[key.keyID] = [try key.certificatePEM]
        }
        let sorted = keys.sorted { $0.createdAt < $1.createdAt }
        keySet.withLock { $0 = KeySet(collection: collection, keys: sorted, chains: chains, keyIDs: Set(keys.map(\.keyID))) }
    }

    /// The ids of the keys tokens are verified with.
    public var keyIDs: Set<String> { keySet.withLock { $0.keyIDs } }

    /// The key that signs tokens issued at `now`.
    public func activeKey(at now: Date) -> SigningKey? {
        keySet.withLock { $0.signer(at: now, delay: publishDelay) }
    }

    /// Signs a token for `subject` (user `userID`, who proved `credential`) granting `access`.
    public func issue(subject: String, userID: Int64, credential: Credential, access: [RegistryClaims.ResourceActions], now: Date) async throws -> IssuedToken {
        let set = keySet.withLock { $0 }
        guard let active = set.signer(at: now, delay: publishDelay) else { throw AccountsError.internalFailure("no token signing key is configured") }
        let issuedAt = Int(now.timeIntervalSince1970)
        let claims = RegistryClaims(
            iss: issuer, sub: subject, aud: service,
            exp: issuedAt + lifetime, nbf: issuedAt - 1, iat: issuedAt,
            jti: Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }),
            access: access,
            uid: userID,
            cred: credential.description
        )
        var header = JWTHeader()
        header.typ = "JWT"
        header.x5c = set.chains[active.keyID] ?? []
        let token = try await set.collection.sign(claims, kid: JWKIdentifier(string: active.keyID), header: header)
        return IssuedToken(token: token, expiresIn: lifetime, issuedAt: Date(timeIntervalSince1970: TimeInterval(issuedAt)), claims: claims)
    }

    /// Verifies signature, issuer, audience and validity window (with leeway).
    public func verify(_ token: String, now: Date) async throws(TokenRejection) -> RegistryClaims {
        guard token.utf8.count <= 16 * 1024, token.utf8.lazy.filter({ $0 == UInt8(ascii: ".") }).count == 2 else {
            throw .malformed
        }
        let fingerprint = SHA256.hash(data: Array(token.utf8))
        let claims: RegistryClaims
        let (collection, known) = keySet.withLock { ($0.collection, $0.verified[fingerprint]) }
        if let known {
            claims = known
        } else {
            do {
                claims = try await collection.verify(token, as: RegistryClaims.self)
            } catch let error as JWTError where error.errorType == .malformedToken {
                throw .malformed
            } catch {
                throw .badSignature
            }
            // Remembered only while the keys it was checked with are current.
            keySet.withLock { set in
                guard set.collection === collection else { return }
                if set.verified.count >= Self.verifiedLimit { set.verified.removeAll(keepingCapacity: true) }
                set.verified[fingerprint] = claims
            }
        }
        let seconds = Int(now.timeIntervalSince1970)
        guard claims.iss == issuer else { throw .wrongIssuer }
        guard claims.aud == service else { throw .wrongAudience }
        guard seconds <= claims.exp + leeway else { throw .expired }
        guard seconds >= claims.nbf - leeway else { throw .notYetValid }
        return claims
    }
}
