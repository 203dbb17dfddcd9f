import Foundation
import Crypto
import _CryptoExtras

/// Alipay's `RSA2` signature scheme: RSA PKCS#1 v1.5 over SHA-256 of the
/// UTF-8 sign content, transported as standard base64.
enum AlipayRSA2 {
    /// Loads a private key from PEM (`RSA PRIVATE KEY` = PKCS#1 or
    /// `PRIVATE KEY` = PKCS#8) or from the bare base64 body Alipay's key
    /// tool prints. Keys under 2048 bits are refused.
    static func privateKey(_ text: String) throws(PaymentConfigurationError) -> _RSA.Signing.PrivateKey {
        do {
            if let der = bareBase64(text) {
                return try _RSA.Signing.PrivateKey(derRepresentation: der)
            }
            return try _RSA.Signing.PrivateKey(pemRepresentation: text)
        } catch {
            throw PaymentConfigurationError("private key is not a readable RSA key (PKCS#1 or PKCS#8, PEM or base64 DER) of at least 2048 bits")
        }
    }

    /// Loads a public key from PEM (`PUBLIC KEY` = SubjectPublicKeyInfo or
    /// `RSA PUBLIC KEY` = PKCS#1) or from a bare base64 DER body.
    static func publicKey(_ text: String) throws(PaymentConfigurationError) -> _RSA.Signing.PublicKey {
        do {
            if let der = bareBase64(text) {
                return try _RSA.Signing.PublicKey(derRepresentation: der)
            }
            return try _RSA.Signing.PublicKey(pemRepresentation: text)
        } catch {
            throw PaymentConfigurationError("public key is not a readable RSA key (SPKI or PKCS#1, PEM or base64 DER) of at least 2048 bits")
        }
    }

    /// Base64 signature of `content`.
    static func sign(_ content: String, with key: _RSA.Signing.PrivateKey) throws -> String {
        let signature = try key.signature(for: Data(content.utf8), padding: .insecurePKCS1v1_5)
        return signature.rawRepresentation.base64EncodedString()
    }

    /// Whether `base64Signature` is a valid signature of `content` by `key`.
    /// Any undecodable signature is simply invalid.
    static func isValid(_ base64Signature: String, of content: String, by key: _RSA.Signing.PublicKey) -> Bool {
        guard let raw = Data(base64Encoded: base64Signature), !raw.isEmpty else { return false }
        return key.isValidSignature(
            _RSA.Signing.RSASignature(rawRepresentation: raw),
            for: Data(content.utf8),
            padding: .insecurePKCS1v1_5
        )
    }

    /// DER bytes when `text` has no PEM armour and is base64 (whitespace allowed).
    private static func bareBase64(_ text: String) -> Data? {
        guard !text.contains("-----BEGIN") else { return nil }
        let compact = String(text.unicodeScalars.filter { !$0.properties.isWhitespace })
        return Data(base64Encoded: compact)
    }
}
