#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI

/// Removing things from the cache by hand (`ferry cache purge`).
public enum CachePurge {
    /// Removes a blob or a manifest with this digest; false when neither was cached.
    public static func remove(_ digest: Digest, blobs: FileSystemBlobStore, manifests: FileSystemManifestStore, inventory: CacheInventory?) -> Bool {
        let blob = unlink(blobs.path(for: digest)) == 0
        let manifest = unlink(manifests.manifestPath(digest)) == 0
        manifests.forget(digest)
        inventory?.forget([.blob(digest), .manifest(digest)])
        return blob || manifest
    }

    /// Removes every cached tag of `repository` (under every upstream), the manifests
    /// they name (with an index's children) and the blobs those reference.
    public static func remove(repository: RepositoryName, root: String, blobs: FileSystemBlobStore, manifests: FileSystemManifestStore, inventory: CacheInventory?) throws -> (tags: Int, digests: Int) {
        let fileManager = FileManager.default
        var tags = 0
        var digests = Set<Digest>()
        for upstream in (try? fileManager.contentsOfDirectory(atPath: root + "/tags")) ?? [] {
            let directory = "\(root)/tags/\(upstream)/\(repository.value)/@tags"
            for tag in (try? fileManager.contentsOfDirectory(atPath: directory)) ?? [] {
                if let record = manifests.tag(tag, repository: repository, upstream: upstream) {
                    collect(record.digest, manifests: manifests, into: &digests)
                }
                manifests.removeTag(tag, repository: repository, upstream: upstream)
                tags += 1
            }
        }
        for digest in digests { _ = remove(digest, blobs: blobs, manifests: manifests, inventory: inventory) }
        return (tags, digests.count)
    }

    /// A manifest's digest and everything it references, recursively.
    static func collect(_ digest: Digest, manifests: FileSystemManifestStore, into digests: inout Set<Digest>) {
        guard digests.insert(digest).inserted, let manifest = manifests.manifest(digest) else { return }
        struct Descriptor: Decodable { let digest: Digest }
        struct References: Decodable {
            let config: Descriptor?
            let layers: [Descriptor]?
            let manifests: [Descriptor]?
        }
        guard let references = try? JSONDecoder().decode(References.self, from: Data(manifest.bytes)) else { return }
        if let config = references.config { digests.insert(config.digest) }
        for layer in references.layers ?? [] { digests.insert(layer.digest) }
        for child in references.manifests ?? [] { collect(child.digest, manifests: manifests, into: &digests) }
    }
}
