import Foundation
import Crypto

/// Stripe's webhook signature: HMAC-SHA256, keyed with the endpoint secret's
/// UTF-8 bytes (the whole `whsec_…` string), over `"<t>." + raw body`.
enum StripeSignature {
    /// The signed payload bytes.
    static func signedPayload(timestamp: Int64, body: some DataProtocol) -> Data {
        var data = Data("\(timestamp).".utf8)
        data.append(contentsOf: body)
        return data
    }

    /// The HMAC of the signed payload.
    static func mac(timestamp: Int64, body: some DataProtocol, secret: String) -> [UInt8] {
        let key = SymmetricKey(data: Data(secret.utf8))
        return Array(HMAC<SHA256>.authenticationCode(for: signedPayload(timestamp: timestamp, body: body), using: key))
    }

    /// Whether any `candidates` is the HMAC under any `secrets`, each
    /// comparison in constant time.
    static func matches(
        candidates: [[UInt8]], timestamp: Int64, body: some DataProtocol, secrets: [String]
    ) -> Bool {
        let payload = signedPayload(timestamp: timestamp, body: body)
        var found = false
        for secret in secrets {
            let key = SymmetricKey(data: Data(secret.utf8))
            for candidate in candidates where HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: payload, using: key) {
                found = true
            }
        }
        return found
    }
}
