import AsyncHTTPClient
import Foundation
import NIOCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Review S8: what other local users can reach. The admin socket is created in a
/// directory only the server's user can enter (no window before a `chmod`), the cache
/// and its index are closed to others, and `client-config` writes its credentials for
/// their owner only, with an expiring token, and takes no secret on the command line.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct LocalFilesTests {
    func mode(_ path: String) -> (mode: mode_t, owner: uid_t)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_mode & 0o7777, info.st_uid)
    }

    @Test func theAdminSocketAndTheCacheAreClosedToOtherUsers() async throws {
        let environment = try TestEnvironment.require()
        let layer = try #require(try environment.layoutLayers("small").first)
        let dataDirectory = temporaryDirectory("local-files") + "/data"
        try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let port = reserveFreePort()
        let server = try await FerryProcess.serve(
            port: port, dataDirectory: dataDirectory, upstream: environment.upstream.absoluteString, environment: ["FERRY_ACCESS_MODE": "open"]
        )
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        let response = try await HTTPClient.shared.execute(HTTPClientRequest(url: "http://127.0.0.1:\(port)/v2/ferry/small/blobs/\(layer.digest)"), timeout: .seconds(30))
        _ = try await response.body.collect(upTo: 16 << 20)
        #expect(response.status == .ok)

        let admin = try #require(mode(dataDirectory + "/admin"))
        #expect(admin.mode & 0o077 == 0 && admin.owner == geteuid())  // before: the socket sat in the 0755 data directory
        #expect(mode(dataDirectory + "/admin/admin.sock") != nil)
        #expect(mode(dataDirectory)?.mode == 0o700, "an existing 0755 data directory is closed too")
        let hex = layer.digest.dropFirst("sha256:".count)
        let blobPath = "\(dataDirectory)/blobs/sha256/\(hex.prefix(2))/\(hex)"
        for _ in 0..<100 where mode(blobPath) == nil { try await Task.sleep(for: .milliseconds(50)) }  // committed once verified
        let blob = try #require(mode(blobPath))
        #expect(blob.mode & 0o077 == 0)  // before: 0644
        #expect(try #require(mode(dataDirectory + "/cache-index.sqlite")).mode & 0o077 == 0)
        let stats = try await ProcessRunner.run(CrashSafetyTests.binary, ["cache", "stats", "--json", "--data-dir", dataDirectory])
        #expect(stats.succeeded && stats.output.contains("\"blobs\" : 1"), "the operator's commands still reach it: \(stats.error)")
    }

    @Test func clientConfigWritesItsCredentialsForTheirOwnerOnly() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        let run = { (arguments: [String], input: String?) in
            try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: ["FERRY_DATABASE_URL": database], input: input)
        }
        #expect(try await run(["migrate"], nil).succeeded)
        #expect(try await run(["user", "add", "alice", "--password-stdin"], "correct-horse-9\n").succeeded)
        let output = temporaryDirectory("client-config")
        let written = try await run(["client-config", "containerd", "--user", "alice", "--output-dir", output], nil)
        #expect(written.succeeded, "\(written.error)")
        let hostsFile = output + "/etc/containerd/certs.d/docker.io/hosts.toml"
        #expect(try #require(mode(hostsFile)).mode == 0o600)  // before: 0644
        let tokens = try await run(["token", "list", "alice", "--json"], nil)
        let listed = try JSONSerialization.jsonObject(with: Data(tokens.output.utf8)) as? [[String: Any]]
        #expect(listed?.first?["expiresAt"] is String, "the token expires: \(tokens.output)")  // before: never

        let onCommandLine = try await run(["client-config", "containerd", "--user", "alice", "--token", "ferry_pat_x"], nil)
        #expect(!onCommandLine.succeeded, "a secret is never an argument")
        let fromInput = try await run(["client-config", "containerd", "--user", "alice", "--token-stdin"], "ferry_pat_from_stdin\n")
        #expect(fromInput.succeeded && fromInput.output.contains(Data("alice:ferry_pat_from_stdin".utf8).base64EncodedString()), "\(fromInput.error)")
    }

    /// No secret on a command line (`ps` shows it to every local user): a database URL
    /// with a password is refused as a flag, and works from the environment.
    @Test func aDatabasePasswordIsNeverAFlag() async throws {
        let withPassword = "postgres://ferry:s3cret-pw@127.0.0.1:1/ferry"
        let flagged = try await ProcessRunner.run(CrashSafetyTests.binary, ["user", "list", "--database-url", withPassword])
        #expect(flagged.status != 0)
        #expect(flagged.error.contains("--database-url") && flagged.error.contains("FERRY_DATABASE_URL"), "\(flagged.error)")
        #expect(flagged.error.split(separator: "\n").count == 1 && !flagged.error.contains("s3cret-pw"), "\(flagged.error)")
        let withoutPassword = try await ProcessRunner.run(CrashSafetyTests.binary, ["config-check", "--database-url", "postgres://ferry@127.0.0.1:1/ferry"])
        #expect(withoutPassword.succeeded, "\(withoutPassword.error)")
    }
}
