import Foundation

/// Ready-to-paste client configuration for pulling through Ferry, as printed by
/// `ferry client-config` and shown on the subscriber portal's setup page.
public enum ClientConfig {
    /// A file to write (or print under a `# path` heading).
    public struct File: Equatable, Sendable {
        /// Where the file goes on the client machine.
        public let path: String
        /// What to put in it.
        public let contents: String

        /// Creates a file value.
        public init(path: String, contents: String) {
            self.path = path
            self.contents = contents
        }
    }

    /// dockerd's `/etc/docker/daemon.json`: the subscriber's mirror-key host as the
    /// Docker Hub mirror (dockerd never sends a mirror its own login).
    public static func docker(mirrorHost: String) -> [File] {
        [File(path: "/etc/docker/daemon.json", contents: """
        {
          "registry-mirrors": ["https://\(mirrorHost)"]
        }

        """)]
    }

    /// containerd's `hosts.toml`, one per upstream registry, sending the subscriber's
    /// access token (containerd adds `?ns=<registry>` so Ferry knows the upstream).
    public static func containerd(registries: [(name: String, server: String)], endpoint: String, username: String, token: String) -> [File] {
        let authorization = "Basic " + Data("\(username):\(token)".utf8).base64EncodedString()
        return registries.map { registry in
            File(path: "/etc/containerd/certs.d/\(registry.name)/hosts.toml", contents: """
            server = "\(registry.server)"

            [host."https://\(endpoint)"]
              capabilities = ["pull", "resolve"]
              [host."https://\(endpoint)".header]
                Authorization = "\(authorization)"

            """)
        }
    }

    /// podman's `/etc/containers/registries.conf.d/ferry.conf`: a path-prefix mirror per
    /// upstream (log in once with `podman login`).
    public static func podman(registries: [(name: String, server: String)], endpoint: String, defaultRegistry: String) -> [File] {
        var text = "# Log in once: podman login \(endpoint)\n"
        for registry in registries {
            let location = registry.name == defaultRegistry ? endpoint : "\(endpoint)/\(registry.name)"
            text += """

            [[registry]]
            prefix = "\(registry.name)"
            location = "\(registry.name)"

            [[registry.mirror]]
            location = "\(location)"

            """
        }
        return [File(path: "/etc/containers/registries.conf.d/ferry.conf", contents: text)]
    }

    /// Kubernetes nodes running containerd: point the CRI plugin at `certs.d` and install
    /// the same `hosts.toml` files on every node.
    public static func kubernetes(registries: [(name: String, server: String)], endpoint: String, username: String, token: String) -> [File] {
        let note = File(path: "/etc/containerd/config.toml (excerpt)", contents: """
        # On every node, enable hosts.toml lookups (containerd 1.7; 2.x uses
        # [plugins."io.containerd.cri.v1.images".registry]) and restart containerd:
        [plugins."io.containerd.grpc.v1.cri".registry]
          config_path = "/etc/containerd/certs.d"
        # Pods then pull through Ferry with their usual image names; no imagePullSecrets needed.

        """)
        return [note] + containerd(registries: registries, endpoint: endpoint, username: username, token: token)
    }

    /// Files rendered for printing: each under a `# path` heading.
    public static func printable(_ files: [File]) -> String {
        files.map { "# \($0.path)\n\($0.contents)" }.joined(separator: "\n")
    }
}
