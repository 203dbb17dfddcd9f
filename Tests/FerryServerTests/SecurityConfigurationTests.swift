import FerryServer
import Foundation
import Gateway
import Testing

/// The settings of the 2026-12-04 review's controls: listener timeouts and connection
/// cap (S4), the password checks' budget, who reads `/metrics` (H6), and the warning
/// about upstream credentials (S13).
@Suite struct SecurityConfigurationTests {
    func load(_ environment: [String: String] = [:], file: String? = nil) async throws -> FerryConfiguration {
        var path: String?
        if let file {
            path = NSTemporaryDirectory() + "ferry-config-\(UUID().uuidString).json"
            try file.write(toFile: path!, atomically: true, encoding: .utf8)
        }
        let environment = ["FERRY_DATABASE_URL": "postgres://ferry:pw@db.internal:5433/ferry"].merging(environment) { $1 }
        return try await FerryConfiguration.load(environment: environment, configFile: path).configuration
    }

    @Test func carefulDefaults() async throws {
        let configuration = try await load()
        #expect(configuration.listener.headerTimeout == .seconds(10))
        #expect(configuration.listener.idleTimeout == .seconds(60))
        #expect(configuration.listener.bodyTimeout == .seconds(30))
        #expect(configuration.listener.tlsHandshakeTimeout == .seconds(10))
        #expect(configuration.listener.maximumConnectionsPerAddress == 512)
        #expect(configuration.login.passwordCheckCores == 0.25)
        #expect(configuration.login.passwordCheckQueue == 64)
        #expect(configuration.login.busyDelay == .seconds(1))
        #expect(configuration.gateway.metricsAllowed == GatewayConfiguration.privateNetworks)
        #expect(configuration.warnings.isEmpty)
    }

    @Test func keysAreReadFromTheEnvironmentAndTheFile() async throws {
        let configuration = try await load(
            ["FERRY_LISTEN_HEADER_TIMEOUT": "5s", "FERRY_LOGIN_PASSWORD_CHECK_CORES": "0.5", "FERRY_METRICS_ALLOWED_NETWORKS": "192.0.2.0/24"],
            file: #"{"listen": {"idle-timeout": "2m", "max-connections-per-address": 64}, "login": {"busy-delay": 0, "password-check-queue": 16}}"#
        )
        #expect(configuration.listener.headerTimeout == .seconds(5))
        #expect(configuration.listener.idleTimeout == .seconds(120))
        #expect(configuration.listener.maximumConnectionsPerAddress == 64)
        #expect(configuration.login.passwordCheckCores == 0.5)
        #expect(configuration.login.passwordCheckQueue == 16)
        #expect(configuration.login.busyDelay == .zero)
        #expect(configuration.gateway.metricsAllowed == [IPNetwork("192.0.2.0/24")!])
    }

    @Test func badValuesNameTheirKey() async throws {
        for (key, value, message) in [
            ("FERRY_LISTEN_BODY_TIMEOUT", "0s", "listen.body-timeout"), ("FERRY_LISTEN_MAX_CONNECTIONS_PER_ADDRESS", "0", "listen.max-connections-per-address"),
            ("FERRY_LOGIN_PASSWORD_CHECK_CORES", "lots", "login.password-check-cores"), ("FERRY_LOGIN_PASSWORD_CHECK_CORES", "0", "login.password-check-cores"),
            ("FERRY_METRICS_ALLOWED_NETWORKS", "everyone", "metrics.allowed-networks"),
        ] {
            await #expect { _ = try await load([key: value]) } throws: { "\($0)".contains(message) }
        }
    }

    /// Review S13: upstream credentials serve every subscriber's pulls; nothing said so.
    @Test func upstreamCredentialsAreWarnedAbout() async throws {
        let configuration = try await load(["FERRY_UPSTREAM_DOCKER_USERNAME": "company", "FERRY_UPSTREAM_DOCKER_PASSWORD": "secret-token"])
        let warning = try #require(configuration.warnings.first)
        #expect(warning.contains("upstream.docker.username") && warning.contains("every subscriber"))  // before: no warning
        #expect(!warning.contains("secret-token"))
    }
}
