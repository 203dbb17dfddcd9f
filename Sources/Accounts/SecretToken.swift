import Crypto
import Foundation

/// Random secrets handed to subscribers once (access tokens, mirror keys, refresh
/// tokens) and the hashes they are stored and looked up by.
public enum SecretToken {
    /// A personal access token: `ferry_pat_` and 32 random bytes in base64url.
    public static func makeAccessToken() -> String {
        "ferry_pat_" + Base64URL.encode(randomBytes(32))
    }

    /// Whether `secret` has the shape of a personal access token (so a password check can be skipped).
    public static func looksLikeAccessToken(_ secret: String) -> Bool {
        secret.hasPrefix("ferry_pat_") && secret.utf8.count == 10 + 43
    }

    /// A mirror key: 32 random bytes as 52 lowercase base32 characters, a valid DNS label.
    public static func makeMirrorKey() -> String {
        base32(randomBytes(32))
    }

    /// A refresh token: `ferry_rt_` and 32 random bytes in base64url.
    public static func makeRefreshToken() -> String {
        "ferry_rt_" + Base64URL.encode(randomBytes(32))
    }

    /// A generated password: 24 characters from an unambiguous alphabet (~139 bits).
    public static func makePassword() -> String {
        let alphabet = Array("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<24).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// SHA-256 of a secret: what is stored and looked up.
    public static func hash(_ secret: String) -> [UInt8] {
        Array(SHA256.hash(data: Data(secret.utf8)))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    static func base32(_ bytes: [UInt8]) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz234567")
        var output = ""
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return output
    }
}
