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

/// Issues and verifies the ES256 registry tokens. The newest signing key signs; every
/// key it holds verifies, so a rotated-out key keeps its tokens valid until they expire.
public final class RegistryTokenService: Sendable {
    public let issuer: String
    public let service: String
    /// Token lifetime in seconds.
    public let lifetime: Int
    /// Clock skew tolerated on `exp` and `nbf`.
    public let leeway: Int = 30

    private struct KeySet: Sendable {
        let collection: JWTKeyCollection
        let active: SigningKey?
        let x5c: [String]
        var keyIDs: Set<String> = []
        /// Tokens whose signature was checked with `collection` (by SHA-256): an ES256
        /// verification costs more than the rest of a cached manifest GET, and a client
        /// sends the same token for minutes. New keys start it empty, so a revoked key
        /// stops verifying at once; bounded (emptied when full).
        var verified: [SHA256Digest: RegistryClaims] = [:]
    }

    private let keySet: Mutex<KeySet>
    /// Verified signatures remembered at most.
    static let verifiedLimit = 8192

    /// Creates the service with no keys; call `replaceKeys` before issuing.
    public init(issuer: String, service: String, lifetime: Int) {
        self.issuer = issuer
        self.service = service
        self.lifetime = lifetime
        self.keySet = Mutex(KeySet(collection: JWTKeyCollection(), active: nil, x5c: []))
    }

    /// Installs a new set of keys; the newest (by creation time) signs.
    public func replaceKeys(_ keys: [SigningKey]) async throws {
        let collection = JWTKeyCollection()
        for key in keys {
            await collection.add(ecdsa: try ES256PrivateKey(backing: key.privateKey), kid: JWKIdentifier(string: key.keyID))
        }
        let active = keys.max { $0.createdAt < $1.createdAt }
        // JWTKit takes the chain as PEM, checks it, and writes base64 DER into the header.
        let x5c = try active.map { [try $0.certificatePEM] } ?? []
        keySet.withLock { $0 = KeySet(collection: collection, active: active, x5c: x5c, keyIDs: Set(keys.map(\.keyID))) }
    }

    /// The ids of the keys tokens are verified with.
    public var keyIDs: Set<String> { keySet.withLock { $0.keyIDs } }

    /// The key that signs new tokens.
    public var activeKey: SigningKey? { keySet.withLock { $0.active } }

    /// Signs a token for `subject` (user `userID`, who proved `credential`) granting `access`.
    public func issue(subject: String, userID: Int64, credential: Credential, access: [RegistryClaims.ResourceActions], now: Date) async throws -> IssuedToken {
        let set = keySet.withLock { $0 }
        guard let active = set.active else { throw AccountsError.internalFailure("no token signing key is configured") }
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
        header.x5c = set.x5c
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
