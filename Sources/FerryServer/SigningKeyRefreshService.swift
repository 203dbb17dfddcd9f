import Accounts
import Foundation
import Logging
import ServiceLifecycle

/// Reloads the token signing keys from PostgreSQL every `token.key-reload-interval`, so
/// a `ferry keys rotate` or `keys revoke` on any machine reaches every running replica
/// (a rotated-in key signs only once every replica verifies it, `RegistryTokenService`);
/// and retires keys superseded longer than a token lifetime ago (plus the time their
/// successor waited to sign), so a rotated-out key stops verifying once its tokens have
/// expired.
public struct SigningKeyRefreshService: Service {
    let tokens: RegistryTokenService
    let repository: any SigningKeyRepository
    let logger: Logger
    let now: @Sendable () -> Date

    /// Creates the service.
    public init(tokens: RegistryTokenService, repository: any SigningKeyRepository, logger: Logger, now: @escaping @Sendable () -> Date) {
        self.tokens = tokens
        self.repository = repository
        self.logger = logger
        self.now = now
    }

    public func run() async throws {
        // Shutting down cancels the loop; that is a normal end, not an error. The first
        // keys were loaded before the listener opened (after the migrations): this
        // service starts alongside them, so it reads the database only on its first tick.
        try? await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try await Task.sleep(for: .seconds(tokens.reloadInterval))
                do {
                    try await repository.retireSuperseded(now: now(), retention: tokens.retention)
                    let keys = try await repository.allKeys()
                    let ids = Set(keys.map(\.keyID))
                    if ids != tokens.keyIDs, !keys.isEmpty {
                        try await tokens.replaceKeys(keys)
                        logger.notice("token signing keys reloaded", metadata: ["active": "\(tokens.activeKey(at: now())?.keyID ?? "-")", "count": "\(keys.count)"])
                    }
                } catch {
                    logger.warning("cannot reload signing keys; keeping the current ones", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}

/// A signing key given as PEM files (`token.key-file`, `token.certificate-file`).
public struct SigningKeyFiles: Sendable, Equatable {
    public var key: String
    public var certificate: String

    /// Loads the key and certificate; a one-line error names the key that is wrong.
    public func load() throws(ConfigurationError) -> SigningKey {
        guard let keyPEM = try? String(contentsOfFile: key, encoding: .utf8) else {
            throw ConfigurationError("token.key-file: cannot read \(key)")
        }
        guard let certificatePEM = try? String(contentsOfFile: certificate, encoding: .utf8) else {
            throw ConfigurationError("token.certificate-file: cannot read \(certificate)")
        }
        do {
            return try SigningKey(privateKeyPEM: keyPEM, certificatePEM: certificatePEM, createdAt: Date(timeIntervalSince1970: 0))
        } catch {
            throw ConfigurationError("token.key-file/token.certificate-file: not a matching P-256 key and certificate (\(error))")
        }
    }
}
