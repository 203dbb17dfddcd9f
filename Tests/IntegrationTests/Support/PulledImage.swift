import Crypto
import Foundation

/// An image `skopeo copy … dir:` wrote: `manifest.json`, blobs named by hex digest and,
/// with `--all`, per-platform `<hex>.manifest.json` files.
struct PulledImage {
    let directory: String

    var manifest: Data { FileManager.default.contents(atPath: directory + "/manifest.json") ?? Data() }

    var manifestDigest: String { "sha256:" + sha256Hex(manifest) }

    var files: [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] }

    /// Every blob file whose content hashes to its name.
    var blobsVerify: Bool {
        let blobs = files.filter { $0.count == 64 }
        return !blobs.isEmpty && blobs.allSatisfy { name in
            sha256Hex(FileManager.default.contents(atPath: directory + "/" + name) ?? Data()) == name
        }
    }
}

func sha256Hex(_ data: some DataProtocol) -> String {
    SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}

func temporaryDirectory(_ label: String) -> String {
    NSTemporaryDirectory() + "ferry-\(label)-\(UUID().uuidString)"
}
