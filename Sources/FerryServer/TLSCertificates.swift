import Foundation
import Logging
import NIOSSL
import ServiceLifecycle
import Synchronization
import UnixSignals

/// The server certificate and key for built-in TLS, read from PEM files and re-read on
/// SIGHUP (a renewed certificate takes effect without a restart; every new handshake
/// picks up the current pair).
public final class TLSCertificates: Sendable {
    let certificatePath: String
    let keyPath: String
    private let current: Mutex<(chain: [NIOSSLCertificate], key: NIOSSLPrivateKey)>

    /// Loads the files; throws a one-line reason when they do not parse.
    public init(certificatePath: String, keyPath: String) throws {
        self.certificatePath = certificatePath
        self.keyPath = keyPath
        current = Mutex(try Self.load(certificatePath: certificatePath, keyPath: keyPath))
    }

    static func load(certificatePath: String, keyPath: String) throws -> (chain: [NIOSSLCertificate], key: NIOSSLPrivateKey) {
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath)
            guard !chain.isEmpty else { throw ConfigurationError("tls.certificate-file: \(certificatePath) holds no certificate") }
            return (chain, try NIOSSLPrivateKey(file: keyPath, format: .pem))
        } catch let error as ConfigurationError {
            throw error
        } catch {
            throw ConfigurationError("tls.certificate-file/tls.key-file: cannot load \(certificatePath) and \(keyPath) (\(error))")
        }
    }

    /// Re-reads the files; on failure keeps serving the previous pair.
    func reload() throws {
        let pair = try Self.load(certificatePath: certificatePath, keyPath: keyPath)
        current.withLock { $0 = pair }
    }

    /// The server configuration: HTTP/2 and HTTP/1.1 over ALPN, the certificate chosen
    /// per handshake from the current pair.
    public func serverConfiguration() -> TLSConfiguration {
        let (chain, key) = current.withLock { $0 }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        configuration.applicationProtocols = ["h2", "http/1.1"]
        configuration.sslContextCallback = { [self] _, promise in
            let (chain, key) = current.withLock { $0 }
            var override = NIOSSLContextConfigurationOverride()
            override.certificateChain = chain.map { .certificate($0) }
            override.privateKey = .privateKey(key)
            promise.succeed(override)
        }
        return configuration
    }
}

/// Reloads the TLS certificate on every SIGHUP.
public struct TLSReloadService: Service {
    let certificates: TLSCertificates
    let logger: Logger

    /// Creates the service.
    public init(certificates: TLSCertificates, logger: Logger) {
        self.certificates = certificates
        self.logger = logger
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in signals {
                do {
                    try certificates.reload()
                    logger.notice("TLS certificate reloaded", metadata: ["file": "\(certificates.certificatePath)"])
                } catch {
                    logger.error("TLS certificate reload failed; keeping the previous one", metadata: ["error": "\(error)"])
                }
            }
        }
    }
}
