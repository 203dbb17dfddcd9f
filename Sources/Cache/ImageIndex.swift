import OCI

/// The parts of an OCI index / Docker manifest list needed to pick a platform
/// (untrusted upstream JSON: fuzzed).
struct ImageIndex: Decodable {
    struct Entry: Decodable {
        let mediaType: String
        let digest: Digest
        let platform: Platform?
    }

    struct Platform: Decodable {
        let os: String
        let architecture: String
    }

    let manifests: [Entry]
}
