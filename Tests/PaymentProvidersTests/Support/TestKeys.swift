import Foundation
import _CryptoExtras

/// A fresh RSA-2048 key pair in the encodings the tests and the SDKs need.
struct TestKeyPair: Sendable {
    /// `-----BEGIN PRIVATE KEY-----` (PKCS#8).
    let privatePKCS8PEM: String
    /// `-----BEGIN RSA PRIVATE KEY-----` (PKCS#1), what Alipay's Python SDK loads.
    let privatePKCS1PEM: String
    /// `-----BEGIN PUBLIC KEY-----` (SubjectPublicKeyInfo).
    let publicPEM: String
    /// The PKCS#8 DER as bare base64, as Alipay's key tool prints it.
    let privateBareBase64: String
    /// The SPKI DER as bare base64.
    let publicBareBase64: String

    /// Generates a new key pair (once per test run per role, see ``TestKeys``).
    static func generate() -> TestKeyPair {
        do {
            let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            let pair = TestKeyPair(
                privatePKCS8PEM: key.pkcs8PEMRepresentation,
                privatePKCS1PEM: key.pemRepresentation,
                publicPEM: key.publicKey.pemRepresentation,
                privateBareBase64: key.pkcs8DERRepresentation.base64EncodedString(),
                publicBareBase64: key.publicKey.derRepresentation.base64EncodedString()
            )
            precondition(pair.privatePKCS8PEM.hasPrefix("-----BEGIN PRIVATE KEY-----"))
            precondition(pair.privatePKCS1PEM.hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
            precondition(pair.publicPEM.hasPrefix("-----BEGIN PUBLIC KEY-----"))
            return pair
        } catch {
            fatalError("RSA key generation failed: \(error)")
        }
    }
}

/// Key pairs generated once per test process.
enum TestKeys {
    /// Ferry's merchant application key (signs requests).
    static let merchant = TestKeyPair.generate()
    /// Stand-in for Alipay's platform key (signs notifications).
    static let alipay = TestKeyPair.generate()
    /// An unrelated key, for "wrong key" cases.
    static let stranger = TestKeyPair.generate()
}
