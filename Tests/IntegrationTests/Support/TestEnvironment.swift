import Foundation
import Testing

/// The real peers started by `scripts/test-env.sh` (see its `env` file), read from the
/// environment. With `FERRY_INTEGRATION=required` (as `.ci/run` sets) a missing
/// environment fails the tests instead of skipping them.
struct TestEnvironment {
    let root: String
    let images: String
    let upstream: URL
    let tokenUpstream: URL
    let tokenPort: Int
    let tokenKeyPath: String
    let tokenService: String
    let tokenIssuer: String
    /// Admin URL of the test PostgreSQL cluster; tests create their own databases.
    let databaseURL: String

    static let current: TestEnvironment? = {
        let environment = ProcessInfo.processInfo.environment
        guard let root = environment["FERRY_TEST_ROOT"],
              let upstream = environment["FERRY_TEST_UPSTREAM"].flatMap(URL.init(string:)),
              let tokenUpstream = environment["FERRY_TEST_TOKEN_UPSTREAM"].flatMap(URL.init(string:)),
              let tokenPort = environment["FERRY_TEST_TOKEN_PORT"].flatMap(Int.init)
        else { return nil }
        return TestEnvironment(
            root: root,
            images: environment["FERRY_TEST_IMAGES"] ?? root + "/images",
            upstream: upstream,
            tokenUpstream: tokenUpstream,
            tokenPort: tokenPort,
            tokenKeyPath: environment["FERRY_TEST_TOKEN_KEY"] ?? root + "/token.key",
            tokenService: environment["FERRY_TEST_TOKEN_SERVICE"] ?? "ferry-test-registry",
            tokenIssuer: environment["FERRY_TEST_TOKEN_ISSUER"] ?? "ferry-test",
            databaseURL: environment["FERRY_TEST_DATABASE_URL"] ?? ""
        )
    }()

    static var isRequired: Bool { ProcessInfo.processInfo.environment["FERRY_INTEGRATION"] == "required" }

    /// Whether integration tests run: always when required (and then a missing
    /// environment is a failure), otherwise only when the environment is there.
    static var shouldRun: Bool { isRequired || current != nil }

    /// The environment, or an error that fails the test.
    static func require() throws -> TestEnvironment {
        guard let current else { throw EnvironmentMissing() }
        return current
    }

    struct EnvironmentMissing: Error, CustomStringConvertible {
        var description: String { "integration environment missing: run `scripts/test-env.sh start DIR` and export DIR/env (the README's test command does this)" }
    }

    /// Creates an empty database for one test and returns its URL.
    func makeDatabase() async throws -> String {
        let name = "ferry_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        let result = try await ProcessRunner.run("/usr/bin/psql", [databaseURL, "-q", "-c", "CREATE DATABASE \(name)"])
        guard result.succeeded else { throw DatabaseSetupFailed(message: result.error) }
        var components = URLComponents(string: databaseURL)!
        components.path = "/" + name
        return components.string!
    }

    struct DatabaseSetupFailed: Error { let message: String }

    /// Digest of the manifest that `image`'s OCI layout tags `v1` (the index for multi-arch).
    func layoutManifestDigest(_ image: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(images)/\(image)/index.json"))
        let index = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let manifests = index["manifests"] as! [[String: Any]]
        return manifests[0]["digest"] as! String
    }

    /// The layer descriptors (digest, size) of a single-arch layout image.
    func layoutLayers(_ image: String) throws -> [(digest: String, size: Int)] {
        let digest = try layoutManifestDigest(image)
        let path = "\(images)/\(image)/blobs/sha256/\(digest.dropFirst("sha256:".count))"
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path))) as! [String: Any]
        return (manifest["layers"] as! [[String: Any]]).map { ($0["digest"] as! String, $0["size"] as! Int) }
    }
}
