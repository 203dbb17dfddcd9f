import Foundation
import Testing

/// The deployment files parse, and `ferry client-config` prints configuration that
/// parses and names the right hosts.
@Suite(.enabled(if: TestEnvironment.shouldRun), .timeLimit(.minutes(10)))
struct DeploymentTests {
    static var root: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Parses a file with Python's YAML or TOML parser and prints it back as JSON.
    func parse(_ path: String, as format: String) async throws -> Any {
        let program = format == "yaml"
            ? "import json, sys, yaml; print(json.dumps(list(yaml.safe_load_all(open(sys.argv[1])))))"
            : "import json, sys, tomllib; print(json.dumps(tomllib.load(open(sys.argv[1], 'rb'))))"
        let result = try await ProcessRunner.run("/usr/bin/python3", ["-c", program, path])
        #expect(result.succeeded, "\(path): \(result.error)")
        return try JSONSerialization.jsonObject(with: Data(result.output.utf8))
    }

    @Test func deploymentFilesParse() async throws {
        let compose = try #require(try await parse(Self.root + "/deploy/compose.yaml", as: "yaml") as? [[String: Any]])
        let services = try #require(compose.first?["services"] as? [String: Any])
        #expect(Set(services.keys) == ["ferry", "postgres"])
        #expect((services["ferry"] as? [String: Any])?["healthcheck"] != nil)
        let nofile = ((services["ferry"] as? [String: Any])?["ulimits"] as? [String: Any])?["nofile"] as? [String: Any]
        #expect(nofile?["hard"] as? Int == 65536, "review S4: compose sets a descriptor limit that fits")

        let manifests = try #require(try await parse(Self.root + "/deploy/kubernetes/ferry.yaml", as: "yaml") as? [[String: Any]])
        let kinds = manifests.compactMap { $0["kind"] as? String }
        #expect(Set(kinds) == ["Namespace", "Secret", "PersistentVolumeClaim", "Deployment", "Service", "Ingress", "CronJob"])
        let deployment = try #require(manifests.first { $0["kind"] as? String == "Deployment" })
        let container = ((((deployment["spec"] as? [String: Any])?["template"] as? [String: Any])?["spec"] as? [String: Any])?["containers"] as? [[String: Any]])?.first
        #expect((container?["readinessProbe"] as? [String: Any])?["httpGet"] != nil)
        #expect((container?["livenessProbe"] as? [String: Any])?["httpGet"] != nil)
        // Start-up is measured (bench/inventory.sh): the startup probe gives it room, and
        // liveness only starts after it.
        #expect((container?["startupProbe"] as? [String: Any])?["httpGet"] != nil)
        #expect(((container?["livenessProbe"] as? [String: Any])?["initialDelaySeconds"] as? Int ?? 0) > 0)
        #expect((((container?["resources"] as? [String: Any])?["limits"] as? [String: Any])?["memory"] as? String) != nil)

        let example = try #require(FileManager.default.contents(atPath: Self.root + "/deploy/ferry.example.json"))
        #expect(try JSONSerialization.jsonObject(with: example) is [String: Any])
        let check = try await ProcessRunner.run(CrashSafetyTests.binary, ["config-check", "--config", Self.root + "/deploy/ferry.example.json"], environment: [
            "FERRY_DATABASE_URL": "postgres://ferry@localhost/ferry", "FERRY_UPSTREAM_DOCKER_PASSWORD": "secret-token",
        ])
        #expect(check.succeeded, "\(check.error)")
        #expect(check.output.contains("internal") && !check.output.contains("secret-token"))

        let unit = try String(contentsOfFile: Self.root + "/deploy/ferry.service", encoding: .utf8)
        #expect(unit.contains("ExecStart=/usr/local/bin/ferry serve") && unit.contains("User=ferry"))
        // Review S4 and S8: a descriptor limit that fits, and a cache for the ferry user only.
        #expect(unit.contains("LimitNOFILE=65536") && unit.contains("UMask=0077") && unit.contains("StateDirectoryMode=0700"))
        let dockerfile = try String(contentsOfFile: Self.root + "/deploy/Dockerfile", encoding: .utf8)
        #expect(dockerfile.split(separator: "\n").filter { $0.hasPrefix("FROM ") }.count == 2)
        #expect(dockerfile.contains("USER ferry"))
    }

    @Test func clientConfigurationParsesAndNamesTheRightHosts() async throws {
        let environment = try TestEnvironment.require()
        let database = try await environment.makeDatabase()
        let settings = [
            "FERRY_DATABASE_URL": database, "FERRY_PUBLIC_URL": "https://mirror.example.com", "FERRY_MIRROR_DOMAIN": "mirror.example.com",
        ]
        func ferry(_ arguments: [String], input: String? = nil) async throws -> ProcessResult {
            try await ProcessRunner.run(CrashSafetyTests.binary, arguments, environment: settings, input: input)
        }
        #expect(try await ferry(["migrate"]).succeeded)
        #expect(try await ferry(["user", "add", "alice", "--password-stdin"], input: "correct-horse-9").succeeded)

        let output = temporaryDirectory("client-config")
        #expect(try await ferry(["client-config", "docker", "--user", "alice", "--output-dir", output]).succeeded)
        let daemon = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: output + "/etc/docker/daemon.json"))) as? [String: Any]
        let mirror = try #require((daemon?["registry-mirrors"] as? [String])?.first)
        #expect(mirror.hasPrefix("https://") && mirror.hasSuffix(".mirror.example.com"))
        #expect(try await ferry(["mirror-key", "list", "alice", "--json"]).output.contains("\"id\""))

        #expect(try await ferry(["client-config", "containerd", "--user", "alice", "--output-dir", output]).succeeded)
        for registry in ["docker.io", "gcr.io", "registry.k8s.io", "quay.io", "ghcr.io"] {
            let hosts = try #require(try await parse("\(output)/etc/containerd/certs.d/\(registry)/hosts.toml", as: "toml") as? [String: Any])
            let host = try #require((hosts["host"] as? [String: Any])?["https://mirror.example.com"] as? [String: Any])
            #expect(host["capabilities"] as? [String] == ["pull", "resolve"])
            let authorization = try #require((host["header"] as? [String: Any])?["Authorization"] as? String)
            let credentials = String(decoding: Data(base64Encoded: String(authorization.dropFirst("Basic ".count)))!, as: UTF8.self)
            #expect(credentials.hasPrefix("alice:ferry_pat_"))
        }

        #expect(try await ferry(["client-config", "podman", "--user", "alice", "--output-dir", output]).succeeded)
        let podman = try #require(try await parse(output + "/etc/containers/registries.conf.d/ferry.conf", as: "toml") as? [String: Any])
        let registries = try #require(podman["registry"] as? [[String: Any]])
        let quay = try #require(registries.first { $0["prefix"] as? String == "quay.io" })
        #expect((quay["mirror"] as? [[String: Any]])?.first?["location"] as? String == "mirror.example.com/quay.io")

        let kubernetes = try await ferry(["client-config", "kubernetes", "--user", "alice"])
        #expect(kubernetes.output.contains("config_path = \"/etc/containerd/certs.d\""))
        #expect(try await ferry(["client-config", "docker", "--user", "nobody"]).error.contains("no such user"))
    }
}
