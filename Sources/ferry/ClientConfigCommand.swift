import Accounts
import ArgumentParser
import FerryServer
import Foundation
import Portal

/// `ferry client-config docker|containerd|podman|kubernetes --user NAME`.
struct ClientConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-config",
        abstract: "Print ready-to-paste client configuration for a subscriber (creates the mirror key or access token it needs, expiring after --expires)."
    )

    enum Client: String, ExpressibleByArgument, CaseIterable {
        case docker, containerd, podman, kubernetes
    }

    @Argument(help: "docker, containerd, podman or kubernetes.") var client: Client
    @Option(help: "Subscriber the configuration is for.") var user: String
    @Option(help: "Ferry's host[:port] as clients reach it (default: the public URL's).") var endpoint: String?
    @Flag(name: .customLong("mirror-key-stdin"), help: "Read the mirror key to use from standard input instead of creating one (docker).")
    var mirrorKeyFromStandardInput = false
    @Flag(name: .customLong("token-stdin"), help: "Read the access token to use from standard input instead of creating one (containerd, kubernetes).")
    var tokenFromStandardInput = false
    @Option(help: "Lifetime of the token or mirror key created, such as 90d or 365d.") var expires = "90d"
    @Option(name: .customLong("output-dir"), help: "Write the files under this directory (mode 0600) instead of printing them.") var outputDirectory: String?
    @OptionGroup var options: ConfigOptions

    func validate() throws {
        guard !(mirrorKeyFromStandardInput && tokenFromStandardInput) else { throw ValidationError("give --mirror-key-stdin or --token-stdin, not both") }
        guard let duration = ConfigValues.parseDuration(expires), duration > .zero else {
            throw ValidationError("--expires: \"\(expires)\" is not a duration (e.g. 90d)")
        }
    }

    func run() async throws {
        // Secrets never come from the command line, where every local user can read them.
        let given = mirrorKeyFromStandardInput || tokenFromStandardInput ? try readPasswordFromStandardInput() : nil
        let mirrorKey = mirrorKeyFromStandardInput ? given : nil
        let token = tokenFromStandardInput ? given : nil
        let lifetime = TimeInterval(ConfigValues.parseDuration(expires)!.components.seconds)
        let configuration = try FerryConfiguration(reader: try await options.values())
        _ = try configuration.database.required(by: "client-config")
        let endpoint = self.endpoint ?? {
            let url = configuration.gateway.publicURL
            return url.port.map { "\(url.host ?? "localhost"):\($0)" } ?? (url.host ?? "localhost")
        }()
        let registries = configuration.upstreams.upstreams.map { (name: $0.registry, server: $0.url.absoluteString) }
        let defaultRegistry = configuration.upstreams.defaultRegistry
        let (client, user) = (client, user)
        let files: [ClientConfig.File] = try await options.withAccounts { accounts in
            _ = try await accounts.user(user)
            switch client {
            case .docker:
                guard let mirrorDomain = configuration.gateway.mirrorDomain else {
                    throw ConfigurationError("mirror-domain: docker needs per-user mirror hosts; set mirror-domain (and a wildcard DNS record and certificate)")
                }
                var key = mirrorKey
                if key == nil { key = try await accounts.createMirrorKey(user, lifetime: lifetime).secret }
                return ClientConfig.docker(mirrorHost: "\(key!).\(mirrorDomain)")
            case .containerd, .kubernetes:
                var secret = token
                if secret == nil { secret = try await accounts.createAccessToken(user, name: "\(client.rawValue)-config", lifetime: lifetime).secret }
                return client == .containerd
                    ? ClientConfig.containerd(registries: registries, endpoint: endpoint, username: user, token: secret!)
                    : ClientConfig.kubernetes(registries: registries, endpoint: endpoint, username: user, token: secret!)
            case .podman:
                return ClientConfig.podman(registries: registries, endpoint: endpoint, defaultRegistry: defaultRegistry)
            }
        }
        guard let outputDirectory else {
            print(ClientConfig.printable(files), terminator: "")
            return
        }
        for file in files where !file.path.contains(" ") {
            let path = outputDirectory + file.path
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try PrivateFile.write(file.contents, to: path)
            print("wrote \(path)")
        }
    }
}
