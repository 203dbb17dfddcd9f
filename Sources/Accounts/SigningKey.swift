import Crypto
import Foundation
import X509

/// An ES256 key that signs registry tokens, with the self-signed certificate that a
/// stock CNCF registry is given as its `rootcertbundle` (Ferry puts the certificate in
/// every token's `x5c` header) and the RFC 7638 thumbprint used as `kid`.
public struct SigningKey: Sendable {
    public let privateKey: P256.Signing.PrivateKey
    public let certificate: Certificate
    public let createdAt: Date

    /// Creates a key from its parts.
    public init(privateKey: P256.Signing.PrivateKey, certificate: Certificate, createdAt: Date) {
        self.privateKey = privateKey
        self.certificate = certificate
        self.createdAt = createdAt
    }

    /// Generates a new key and a ten-year self-signed certificate for it.
    public static func generate(commonName: String = "Ferry registry token signer", now: Date) throws -> SigningKey {
        let key = P256.Signing.PrivateKey()
        let name = try DistinguishedName { CommonName(commonName) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: Certificate.PublicKey(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(10 * 365 * 86400),
            issuer: name,
            subject: name,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(digitalSignature: true, keyCertSign: true))
            },
            issuerPrivateKey: Certificate.PrivateKey(key)
        )
        return SigningKey(privateKey: key, certificate: certificate, createdAt: now)
    }

    /// Loads a key and certificate from PEM (PKCS#8 or SEC1 key).
    public init(privateKeyPEM: String, certificatePEM: String, createdAt: Date) throws {
        self.privateKey = try P256.Signing.PrivateKey(pemRepresentation: privateKeyPEM)
        self.certificate = try Certificate(pemEncoded: certificatePEM)
        self.createdAt = createdAt
        guard Certificate.PublicKey(privateKey.publicKey) == certificate.publicKey else {
            throw AccountsError.internalFailure("the signing certificate does not belong to the signing key")
        }
    }

    public var privateKeyPEM: String { privateKey.pemRepresentation }

    public var certificatePEM: String {
        get throws { try certificate.serializeAsPEM().pemString }
    }

    /// RFC 7638 JWK thumbprint of the public key, base64url: the `kid`.
    public var keyID: String {
        let raw = privateKey.publicKey.x963Representation  // 0x04 || X || Y
        let x = Base64URL.encode(raw[1...32])
        let y = Base64URL.encode(raw[33...64])
        let canonical = #"{"crv":"P-256","kty":"EC","x":"\#(x)","y":"\#(y)"}"#
        return Base64URL.encode(SHA256.hash(data: Data(canonical.utf8)))
    }
}

/// Unpadded base64url (RFC 4648 §5).
enum Base64URL {
    static func encode(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
