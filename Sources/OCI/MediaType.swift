/// The manifest media types Ferry mirrors, and the Accept negotiation between a
/// client's `Accept` headers and a cached manifest's type.
public enum MediaType {
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let dockerManifestList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"

    /// Every manifest type Ferry asks upstreams for, so a multi-arch image arrives intact.
    public static let allManifestTypes = [ociIndex, dockerManifestList, ociManifest, dockerManifest]

    /// Types that list other manifests (multi-arch images).
    public static let indexTypes: Set<String> = [ociIndex, dockerManifestList]

    /// Whether `mediaType` describes a multi-arch index or manifest list.
    public static func isIndex(_ mediaType: String) -> Bool {
        indexTypes.contains(mediaType)
    }

    /// Splits one or more `Accept` header values into bare media types, dropping
    /// parameters and entries with `q=0`.
    public static func parseAccept(_ headerValues: [String]) -> [String] {
        var types: [String] = []
        for value in headerValues {
            for entry in value.split(separator: ",") {
                let parts = entry.split(separator: ";").map { $0.trimmingSpaces() }
                guard let type = parts.first, !type.isEmpty else { continue }
                let refused = parts.dropFirst().contains { $0.replacingSpaces() == "q=0" || $0.replacingSpaces() == "q=0.0" }
                if !refused { types.append(type.lowercased()) }
            }
        }
        return types
    }

    /// Whether a client that sent `accepted` (from `parseAccept`) can take `mediaType`.
    ///
    /// An empty list means the client expressed no preference, which registries treat
    /// as "anything"; wildcards match as usual.
    public static func accepts(_ accepted: [String], _ mediaType: String) -> Bool {
        if accepted.isEmpty { return true }
        let family = mediaType.split(separator: "/").first.map(String.init) ?? ""
        return accepted.contains { $0 == mediaType || $0 == "*/*" || $0 == "\(family)/*" }
    }
}

extension Substring {
    fileprivate func trimmingSpaces() -> String {
        String(self.drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension String {
    fileprivate func replacingSpaces() -> String {
        String(self.filter { $0 != " " })
    }
}
