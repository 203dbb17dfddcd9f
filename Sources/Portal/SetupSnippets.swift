/// Copy-paste client configuration for one subscriber, built with `ClientConfig` (the
/// same text `ferry client-config` prints).
struct SetupSnippets: Sendable {
    /// One snippet: a heading, where it goes, and the text.
    struct Snippet: Sendable {
        let id: String
        let title: String
        let path: String
        let text: String
        let note: String
    }

    let settings: PortalSettings
    let username: String

    private var registries: [(name: String, server: String)] {
        settings.registries.map { ($0.name, $0.server) }
    }

    /// `docker login`, with the password prompted for, or an access token piped in.
    func dockerLogin(token: String?) -> Snippet {
        let text = token.map { "echo '\($0)' | docker login \(settings.endpoint) -u \(username) --password-stdin" }
            ?? "docker login \(settings.endpoint) -u \(username)"
        return Snippet(
            id: "docker-login", title: "docker login", path: "shell", text: text,
            note: token == nil ? "Enter your password or an access token when asked. Then pull with the Ferry host in front of the image name." : "Pipes the new token in, so it stays out of your shell history and process list."
        )
    }

    /// dockerd's `daemon.json` with a mirror key's host; nil without mirror hosts.
    func dockerDaemon(mirrorKey: String) -> Snippet? {
        guard let domain = settings.mirrorDomain, let file = ClientConfig.docker(mirrorHost: "\(mirrorKey).\(domain)").first else { return nil }
        return Snippet(id: "daemon-json", title: "Docker daemon (registry-mirrors)", path: file.path, text: file.contents, note: "Then restart dockerd. Plain docker pull uses the mirror for Docker Hub images; no login is needed.")
    }

    /// containerd's `hosts.toml` files sending an access token.
    func containerd(token: String) -> [Snippet] {
        ClientConfig.containerd(registries: registries, endpoint: settings.endpoint, username: username, token: token).map {
            Snippet(id: "containerd-\($0.path.split(separator: "/").dropLast().last ?? "")", title: "containerd", path: $0.path, text: $0.contents, note: "Needs config_path = \"/etc/containerd/certs.d\" in containerd's registry configuration.")
        }
    }

    /// podman's `registries.conf.d` drop-in (log in once with `podman login`).
    func podman() -> Snippet {
        let file = ClientConfig.podman(registries: registries, endpoint: settings.endpoint, defaultRegistry: settings.defaultRegistry)[0]
        return Snippet(id: "podman", title: "podman", path: file.path, text: file.contents, note: "Log in once with podman login \(settings.endpoint) -u \(username).")
    }
}
