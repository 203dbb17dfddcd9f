#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import OCI

extension CacheMaintenance {
    /// What a purge removed.
    public struct Purge: Codable, Sendable, Equatable {
        /// Tags removed (0 for a digest).
        public var tags: Int
        /// Manifests and blobs removed.
        public var digests: Int
        /// The digests of the manifests and blobs removed (the shared store drops them too).
        public var removed: [Digest]

        /// A purge's counts.
        public init(tags: Int, digests: Int, removed: [Digest]) {
            self.tags = tags
            self.digests = digests
            self.removed = removed
        }
    }

    /// Removes a blob or manifest (`sha256:…`), or a repository's cached tags with the
    /// manifests and blobs they reference (as the upstream names it, e.g.
    /// `library/nginx`). Throws `CacheError(.blobUnknown/.nameUnknown)` when nothing matched.
    public func purge(_ target: String) throws -> Purge {
        if target.contains(":") {
            let digest = try Digest(parsing: target)
            guard remove(digest) else { throw CacheError(.blobUnknown, "\(digest) is not in the cache") }
            return Purge(tags: 0, digests: 1, removed: [digest])
        }
        let repository = try RepositoryName(parsing: target)
        let result = remove(repository: repository)
        guard result.tags > 0 else { throw CacheError(.nameUnknown, "no cached tags for \(repository)") }
        return result
    }

    /// Removes a blob or a manifest with this digest; false when neither was cached.
    func remove(_ digest: Digest) -> Bool {
        let blob = unlink(blobs.path(for: digest)) == 0
        let manifest = unlink(manifests.manifestPath(digest)) == 0
        manifests.forget(digest)
        inventory.forget([.blob(digest), .manifest(digest)])
        return blob || manifest
    }

    /// Removes every cached tag of `repository` (under every upstream), the manifests
    /// they name (with an index's children) and the blobs those reference.
    func remove(repository: RepositoryName) -> Purge {
        let layout = blobs.layout
        var tags = 0
        var digests = Set<Digest>()
        for upstream in (try? FileManager.default.contentsOfDirectory(atPath: layout.tags)) ?? [] {
            let folder = layout.tagFolder(repository: repository, upstream: upstream)
            for tag in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] {
                if let record = manifests.tag(tag, repository: repository, upstream: upstream) {
                    collect(record.digest, into: &digests)
                }
                manifests.removeTag(tag, repository: repository, upstream: upstream)
                tags += 1
            }
        }
        for digest in digests { _ = remove(digest) }
        return Purge(tags: tags, digests: digests.count, removed: digests.sorted())
    }

    /// A manifest's digest and everything it references, recursively.
    private func collect(_ digest: Digest, into digests: inout Set<Digest>) {
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
        for child in references.manifests ?? [] { collect(child.digest, into: &digests) }
    }
}
