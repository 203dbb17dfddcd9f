import CArgon2
import Crypto
import Foundation

/// Argon2id cost parameters (OWASP's minimum is m=19 MiB, t=2, p=1).
public struct Argon2Parameters: Sendable, Equatable, CustomStringConvertible {
    /// Memory in KiB.
    public var memoryKiB: UInt32
    /// Passes over memory.
    public var iterations: UInt32
    /// Lanes.
    public var parallelism: UInt32

    /// OWASP's recommended minimum.
    public static let recommended = Argon2Parameters(memoryKiB: 19 * 1024, iterations: 2, parallelism: 1)

    /// Creates parameters.
    public init(memoryKiB: UInt32, iterations: UInt32, parallelism: UInt32) {
        self.memoryKiB = memoryKiB
        self.iterations = iterations
        self.parallelism = parallelism
    }

    /// Whether a hash made with `self` is at least as strong as one made with `other`.
    public func isAtLeast(_ other: Argon2Parameters) -> Bool {
        memoryKiB >= other.memoryKiB && iterations >= other.iterations && parallelism >= other.parallelism
    }

    public var description: String { "m=\(memoryKiB),t=\(iterations),p=\(parallelism)" }
}

/// The result of checking a password against a stored hash.
public enum PasswordCheck: Sendable, Equatable {
    case mismatch
    /// The password is right; `needsRehash` when the stored hash is weaker than the
    /// current parameters (rehash it now, while the password is at hand).
    case match(needsRehash: Bool)
}

/// Argon2id password hashing through libargon2, stored as PHC strings
/// (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`) so parameters can be raised later.
///
/// Hashing costs tens of milliseconds of CPU and memory, so it runs on a dedicated,
/// bounded pool (`PasswordHashingPool`), never on an event loop, the cooperative pool or
/// the pool that does the cache's file I/O.
public struct Argon2PasswordHasher: Sendable {
    public let parameters: Argon2Parameters
    public let pool: PasswordHashingPool
    static let saltLength = 16
    static let hashLength = 32

    /// Creates a hasher with the given cost, on its own pool unless one is given.
    public init(parameters: Argon2Parameters = .recommended, pool: PasswordHashingPool = PasswordHashingPool()) {
        self.parameters = parameters
        self.pool = pool
    }

    /// Hashes a password with a fresh random salt.
    public func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        let salt = (0..<Self.saltLength).map { _ in UInt8.random(in: 0...255) }
        return try await pool.run {
            try Self.encode(password: Array(password.utf8), salt: salt, parameters: parameters)
        }
    }

    /// Checks a password against a PHC string in constant time (libargon2 compares
    /// the hashes with a constant-time comparison), counted against `client`'s share of
    /// the pool. Throws `PasswordHashingBusy` when too many checks are queued.
    public func verify(_ password: String, against encoded: String, for client: PasswordCheckClient = .unknown) async throws -> PasswordCheck {
        guard let stored = PHCString(encoded), stored.algorithm == "argon2id" else { return .mismatch }
        let current = self.parameters
        return try await pool.run(for: client) {
            let bytes = Array(password.utf8)
            let result = encoded.withCString { encodedPointer in
                bytes.withUnsafeBytes { argon2id_verify(encodedPointer, $0.baseAddress, $0.count) }
            }
            guard result == ARGON2_OK.rawValue else { return .mismatch }
            return .match(needsRehash: !stored.parameters.isAtLeast(current))
        }
    }

    static func encode(password: [UInt8], salt: [UInt8], parameters: Argon2Parameters) throws -> String {
        let length = argon2_encodedlen(parameters.iterations, parameters.memoryKiB, parameters.parallelism, UInt32(salt.count), UInt32(hashLength), Argon2_id)
        var output = [CChar](repeating: 0, count: length)
        let result = password.withUnsafeBytes { passwordBytes in
            salt.withUnsafeBytes { saltBytes in
                argon2id_hash_encoded(
                    parameters.iterations, parameters.memoryKiB, parameters.parallelism,
                    passwordBytes.baseAddress, passwordBytes.count,
                    saltBytes.baseAddress, saltBytes.count,
                    hashLength, &output, length
                )
            }
        }
        guard result == ARGON2_OK.rawValue else {
            throw AccountsError.internalFailure("argon2 hashing failed: \(String(cString: argon2_error_message(result)))")
        }
        return String(decoding: output.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// The parts of a PHC string that decide whether a hash must be upgraded.
public struct PHCString: Sendable, Equatable {
    public let algorithm: String
    public let version: Int
    public let parameters: Argon2Parameters

    /// Parses `$argon2id$v=19$m=…,t=…,p=…$salt$hash`; nil when malformed.
    public init?(_ text: String) {
        let fields = text.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 6, fields[0].isEmpty, fields[2].hasPrefix("v="),
              let version = Int(fields[2].dropFirst(2)), !fields[4].isEmpty, !fields[5].isEmpty
        else { return nil }
        var values: [String: UInt32] = [:]
        for pair in fields[3].split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = UInt32(parts[1]) else { return nil }
            values[String(parts[0])] = value
        }
        guard let memory = values["m"], let iterations = values["t"], let parallelism = values["p"] else { return nil }
        self.algorithm = String(fields[1])
        self.version = version
        self.parameters = Argon2Parameters(memoryKiB: memory, iterations: iterations, parallelism: parallelism)
    }
}
