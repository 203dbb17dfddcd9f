import Accounts
import ArgumentParser
import FerryServer
import Foundation
import Portal

/// `ferry client-config docker|containerd|podman|kubernetes --user NAME`.
struct ClientConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client-config",
        abstract: "Print ready-to-paste client configuration for a subscriber (creates the mirror key or access token it needs)."
    )

    enum Client: String, ExpressibleByArgument, CaseIterable {
        case docker, containerd, podman, kubernetes
    }

    @Argument(help: "docker, containerd, podman or kubernetes.") var client: Client
    @Option(help: "Subscriber the configuration is for.") var user: String
    @Option(help: "Ferry's host[:port] as clients reach it (default: the public URL's).") var endpoint: String?
    @Option(name: .customLong("mirror-key"), help: "Use this mirror key instead of creating one (docker).") var mirrorKey: String?
    @Option(help: "Use this access token instead of creating one (containerd, kubernetes).") var token: String?
    @Option(name: .customLong("output-dir"), help: "Write the files under this directory instead of printing them.") var outputDirectory: String?
    @OptionGroup var options: ConfigOptions

    func run() async throws {
        let configuration = try FerryConfiguration(reader: try await options.values())
        _ = try configuration.database.required(by: "client-config")
        let endpoint = self.endpoint ?? {
            let url = configuration.gateway.publicURL
            return url.port.map { "\(url.host ?? "localhost"):\($0)" } ?? (url.host ?? "localhost")
        }()
        let registries = configuration.upstreams.upstreams.map { (name: $0.registry, server: $0.url.absoluteString) }
        let defaultRegistry = configuration.upstreams.defaultRegistry
        let (client, user, mirrorKey, token) = (client, user, mirrorKey, token)
        let files: [ClientConfig.File] = try await options.withAccounts { accounts in
            _ = try await accounts.user(user)
            switch client {
            case .docker:
                guard let mirrorDomain = configuration.gateway.mirrorDomain else {
                    throw ConfigurationError("mirror-domain: docker needs per-user mirror hosts; set mirror-domain (and a wildcard DNS record and certificate)")
                }
                var key = mirrorKey
                if key == nil { key = try await accounts.createMirrorKey(user).secret }
                return ClientConfig.docker(mirrorHost: "\(key!).\(mirrorDomain)")
            case .containerd, .kubernetes:
                var secret = token
                if secret == nil { secret = try await accounts.createAccessToken(user, name: "\(client.rawValue)-config", lifetime: nil).secret }
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
            try file.contents.write(toFile: path, atomically: true, encoding: .utf8)
            print("wrote \(path)")
        }
    }
}
