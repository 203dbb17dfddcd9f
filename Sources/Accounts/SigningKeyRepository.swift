import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Where token signing keys are kept, so every replica signs and verifies with the same
/// keys and a rotation reaches all of them.
public protocol SigningKeyRepository: Sendable {
    /// Every stored key, oldest first.
    func allKeys() async throws -> [SigningKey]
    func add(_ key: SigningKey) async throws
    /// Removes keys created before `date` (only ever superseded ones).
    func removeKeys(createdBefore date: Date) async throws
    /// Removes the key with this `kid`; false when there is none.
    func removeKey(keyID: String) async throws -> Bool
}

extension SigningKeyRepository {
    /// The stored keys, generating and storing the first one if there is none.
    public func keysCreatingFirst(now: Date) async throws -> [SigningKey] {
        let keys = try await allKeys()
        if !keys.isEmpty { return keys }
        try await add(try SigningKey.generate(now: now))
        return try await allKeys()
    }

    /// Adds a new signing key and drops keys superseded more than `retention` ago.
    public func rotate(now: Date, retention: TimeInterval) async throws -> SigningKey {
        let key = try SigningKey.generate(now: now)
        try await add(key)
        try await retireSuperseded(now: now, retention: retention)
        return key
    }

    /// Drops every key whose successor was created more than `retention` ago: the
    /// tokens it signed have expired by then (`retention` is at least the token
    /// lifetime). Running servers call this on every reload, so a rotated-out key stops
    /// verifying within one token lifetime, whether or not anyone rotates again.
    public func retireSuperseded(now: Date, retention: TimeInterval) async throws {
        let keys = try await allKeys()
        var cutoff: Date?
        for (index, old) in keys.enumerated().dropLast() where keys[index + 1].createdAt < now.addingTimeInterval(-retention) {
            cutoff = old.createdAt.addingTimeInterval(0.001)
        }
        if let cutoff { try await removeKeys(createdBefore: cutoff) }
    }

    /// Removes a key at once (it leaked): its tokens stop verifying when servers reload
    /// (within 30 seconds). Refuses to remove the only key.
    public func revoke(keyID: String) async throws {
        let keys = try await allKeys()
        guard keys.contains(where: { $0.keyID == keyID }) else { throw AccountsError.signingKeyNotFound(keyID) }
        guard keys.count > 1 else { throw AccountsError.refused("\(keyID) is the only signing key: run ferry keys rotate first") }
        _ = try await removeKey(keyID: keyID)
    }
}

/// Signing keys in memory (tests).
public final class InMemorySigningKeyRepository: SigningKeyRepository {
    private let keys = Mutex<[SigningKey]>([])

    public init() {}

    public func allKeys() async throws -> [SigningKey] { keys.withLock { $0.sorted { $0.createdAt < $1.createdAt } } }

    public func add(_ key: SigningKey) async throws { keys.withLock { $0.append(key) } }

    public func removeKeys(createdBefore date: Date) async throws { keys.withLock { $0.removeAll { $0.createdAt < date } } }

    public func removeKey(keyID: String) async throws -> Bool {
        keys.withLock { keys in
            let before = keys.count
            keys.removeAll { $0.keyID == keyID }
            return keys.count < before
        }
    }
}

/// Signing keys in the `signing_keys` table.
public struct PostgresSigningKeyRepository: SigningKeyRepository {
    let client: PostgresClient
    let logger: Logger

    /// Uses a running client.
    public init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    public func allKeys() async throws -> [SigningKey] {
        do {
            var keys: [SigningKey] = []
            let rows = try await client.query("SELECT private_key_pem, certificate_pem, created_at FROM signing_keys ORDER BY created_at, id", logger: logger)
            for try await (keyPEM, certificatePEM, createdAt) in rows.decode((String, String, Date).self) {
                keys.append(try SigningKey(privateKeyPEM: keyPEM, certificatePEM: certificatePEM, createdAt: createdAt))
            }
            return keys
        } catch {
            throw PostgresUserRepository.mapped(error)
        }
    }

    public func add(_ key: SigningKey) async throws {
        do {
            let certificatePEM = try key.certificatePEM
            try await client.query(
                "INSERT INTO signing_keys (private_key_pem, certificate_pem, created_at) VALUES (\(key.privateKeyPEM), \(certificatePEM), \(key.createdAt))",
                logger: logger
            )
        } catch {
            throw PostgresUserRepository.mapped(error)
        }
    }

    public func removeKeys(createdBefore date: Date) async throws {
        do {
            try await client.query("DELETE FROM signing_keys WHERE created_at < \(date)", logger: logger)
        } catch {
            throw PostgresUserRepository.mapped(error)
        }
    }

    public func removeKey(keyID: String) async throws -> Bool {
        guard let key = try await allKeys().first(where: { $0.keyID == keyID }) else { return false }
        do {
            try await client.query("DELETE FROM signing_keys WHERE private_key_pem = \(key.privateKeyPEM)", logger: logger)
            return true
        } catch {
            throw PostgresUserRepository.mapped(error)
        }
    }
}
