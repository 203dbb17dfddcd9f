import Gateway

extension GatewayConfiguration {
    /// The listener and how clients reach it.
    ///
    /// Configuration keys:
    /// - `listen.host` (default 127.0.0.1), `listen.port` (default 5000).
    /// - `public-url`: the URL clients use (default `http(s)://host:port`).
    /// - `token.service`: the token `service` and JWT audience (default the public URL's host[:port]).
    /// - `mirror-domain`: mirror-key host names are `<key>.<mirror-domain>`; unset disables them.
    /// - `trusted-proxies`: addresses or CIDR networks whose `X-Forwarded-*` headers are believed.
    /// - `metrics.allowed-networks`: addresses or CIDR networks that may read `/metrics`
    ///   (default loopback and private networks; `0.0.0.0/0,::/0` lets everyone).
    public init(reader: ConfigValues, servesTLS: Bool) throws(ConfigurationError) {
        let listen = reader.scoped(to: "listen")
        let host = listen.string("host", default: "127.0.0.1")
        let port = try listen.int("port", default: 5000, range: 0...65535)
        let scheme = servesTLS ? "https" : "http"
        let publicURL = try reader.url("public-url", default: "\(scheme)://\(host.contains(":") ? "[\(host)]" : host):\(port)")!
        let proxies = try (reader.list("trusted-proxies") ?? []).map { text throws(ConfigurationError) in
            guard let network = IPNetwork(text) else { throw ConfigurationError("trusted-proxies: \"\(text)\" is not an address or CIDR network") }
            return network
        }
        let metrics = reader.scoped(to: "metrics")
        let metricsAllowed = try metrics.list("allowed-networks").map { texts throws(ConfigurationError) in
            try texts.map { text throws(ConfigurationError) in
                guard let network = IPNetwork(text) else { throw ConfigurationError("metrics.allowed-networks: \"\(text)\" is not an address or CIDR network") }
                return network
            }
        }
        self.init(
            host: host, port: port, publicURL: publicURL, tokenService: reader.scoped(to: "token").string("service"),
            mirrorDomain: reader.string("mirror-domain"), trustedProxies: proxies, metricsAllowed: metricsAllowed ?? GatewayConfiguration.privateNetworks
        )
    }
}

/// Certificate and key for built-in TLS (HTTP/2 and HTTP/1.1).
///
/// Configuration keys: `tls.certificate-file` and `tls.key-file` (PEM), both or neither.
public struct TLSFiles: Sendable, Equatable {
    public var certificate: String
    public var key: String

    /// The files, or nil when neither key is set.
    public static func read(_ reader: ConfigValues) throws(ConfigurationError) -> TLSFiles? {
        let tls = reader.scoped(to: "tls")
        switch (tls.string("certificate-file"), tls.string("key-file")) {
        case (let certificate?, let key?): return TLSFiles(certificate: certificate, key: key)
        case (.some, nil): throw ConfigurationError("tls.key-file: required with tls.certificate-file")
        case (nil, .some): throw ConfigurationError("tls.certificate-file: required with tls.key-file")
        case (nil, nil): return nil
        }
    }
}
