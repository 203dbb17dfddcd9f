import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Built-in TLS with the real binary: skopeo pulls over HTTPS trusting the configured
/// certificate, HTTP/2 is offered, and SIGHUP swaps in a renewed certificate.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct TLSTests {
    func makeCertificate(in directory: String) async throws -> String {
        let result = try await ProcessRunner.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", directory + "/key.pem", "-out", directory + "/cert.pem", "-days", "30",
            "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
        ])
        #expect(result.succeeded, "\(result.error)")
        return try await serial(of: directory + "/cert.pem")
    }

    func serial(of file: String) async throws -> String {
        try await ProcessRunner.run("/usr/bin/openssl", ["x509", "-noout", "-serial", "-in", file]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func servedSerial(port: Int, directory: String) async throws -> String {
        let script = "echo | openssl s_client -connect 127.0.0.1:\(port) 2>/dev/null > \(directory)/served.pem; openssl x509 -noout -serial -in \(directory)/served.pem"
        return try await ProcessRunner.run("/bin/bash", ["-c", script]).output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func skopeoPullsOverHTTPSAndSIGHUPReloadsTheCertificate() async throws {
        let environment = try TestEnvironment.require()
        let directory = temporaryDirectory("tls")
        try FileManager.default.createDirectory(atPath: directory + "/ca", withIntermediateDirectories: true)
        let firstSerial = try await makeCertificate(in: directory)
        try FileManager.default.copyItem(atPath: directory + "/cert.pem", toPath: directory + "/ca/ca.crt")

        let port = reserveFreePort()
        let server = Process()
        server.executableURL = URL(fileURLWithPath: CrashSafetyTests.binary)
        server.arguments = ["serve", "--port", String(port), "--data-dir", directory + "/data", "--access-mode", "open"]
        server.environment = ProcessInfo.processInfo.environment.merging([
            "FERRY_TLS_CERTIFICATE_FILE": directory + "/cert.pem", "FERRY_TLS_KEY_FILE": directory + "/key.pem",
            "FERRY_UPSTREAMS": "local", "FERRY_UPSTREAM_LOCAL_REGISTRY": "registry.test",
            "FERRY_UPSTREAM_LOCAL_URL": environment.upstream.absoluteString, "FERRY_LOG_LEVEL": "warning",
        ]) { $1 }
        server.standardOutput = FileHandle.nullDevice
        server.standardError = FileHandle.nullDevice
        try server.run()
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var version = ""
        for _ in 0..<100 where version.isEmpty || version.hasPrefix("0") {
            version = try await ProcessRunner.run("/usr/bin/curl", [
                "-s", "--cacert", directory + "/cert.pem", "--http2", "-o", "/dev/null", "-w", "%{http_version} %{http_code}", "https://127.0.0.1:\(port)/v2/",
            ]).output
            if version.hasPrefix("0") || version.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(version == "2 200")

        let pulled = temporaryDirectory("tls-pull")
        let pull = try await ProcessRunner.run("/usr/bin/skopeo", [
            "copy", "--quiet", "--src-cert-dir", directory + "/ca", "--src-no-creds", "docker://127.0.0.1:\(port)/ferry/small:v1", "dir:\(pulled)",
        ])
        #expect(pull.succeeded, "\(pull.error)")
        #expect(PulledImage(directory: pulled).manifestDigest == (try environment.layoutManifestDigest("small")))
        let untrusted = try await ProcessRunner.run("/usr/bin/skopeo", ["copy", "--quiet", "--src-no-creds", "docker://127.0.0.1:\(port)/ferry/small:v1", "dir:\(temporaryDirectory("tls-untrusted"))"])
        #expect(!untrusted.succeeded)

        #expect(try await servedSerial(port: port, directory: directory) == firstSerial)
        let renewed = try await makeCertificate(in: directory)
        #expect(renewed != firstSerial)
        kill(server.processIdentifier, SIGHUP)
        var served = ""
        for _ in 0..<50 where served != renewed {
            served = try await servedSerial(port: port, directory: directory)
            if served != renewed { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(served == renewed)
        #expect(server.isRunning)
    }
}
