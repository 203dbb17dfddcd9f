import OCI

/// One file the cache keeps and counts against its budget: a blob, a manifest or a tag
/// record. Its `key` is what the cache index stores: for blobs and manifests one byte
/// for the algorithm followed by the raw hash (33 or 65 bytes, half the hex text), for
/// tags the record's path under `tags/` (`upstream/repository/@tags/tag`).
public struct CacheEntry: Hashable, Sendable, CustomStringConvertible {
    /// What kind of file an entry is; the raw values are stored in the index.
    public enum Kind: Int, Sendable, CaseIterable {
        case blob = 0
        case manifest = 1
        case tag = 2
    }

    public let kind: Kind
    let key: [UInt8]

    init(kind: Kind, key: [UInt8]) {
        self.kind = kind
        self.key = key
    }

    /// The blob with this digest.
    public static func blob(_ digest: Digest) -> CacheEntry {
        CacheEntry(kind: .blob, key: digestKey(digest))
    }

    /// The manifest with this digest.
    public static func manifest(_ digest: Digest) -> CacheEntry {
        CacheEntry(kind: .manifest, key: digestKey(digest))
    }

    /// The record of `tag` in `repository` of the upstream with id `upstream`.
    public static func tag(_ tag: String, repository: RepositoryName, upstream: String) -> CacheEntry {
        CacheEntry(kind: .tag, key: Array(CacheLayout.tagRecordName(tag, repository: repository, upstream: upstream).utf8))
    }

    /// The digest of a blob or manifest entry.
    public var digest: Digest? {
        guard kind != .tag, let first = key.first else { return nil }
        let algorithm: Digest.Algorithm
        switch first {
        case 1: algorithm = .sha256
        case 2: algorithm = .sha512
        default: return nil
        }
        return Digest(algorithm: algorithm, bytes: key.dropFirst())
    }

    /// A tag entry's path under `tags/`.
    var tagPath: String? { kind == .tag ? String(decoding: key, as: UTF8.self) : nil }

    public var description: String {
        switch kind {
        case .blob: "blob \(digest!)"
        case .manifest: "manifest \(digest!)"
        case .tag: "tag \(tagPath!)"
        }
    }

    /// The algorithm's byte in an index key.
    static func algorithmByte(_ algorithm: Digest.Algorithm) -> UInt8 {
        switch algorithm {
        case .sha256: 1
        case .sha512: 2
        }
    }

    static func digestKey(_ digest: Digest) -> [UInt8] {
        var key = [algorithmByte(digest.algorithm)]
        key.reserveCapacity(1 + digest.hex.utf8.count / 2)
        var high: UInt8?
        for character in digest.hex.utf8 {
            let nibble = character <= 0x39 ? character - 0x30 : character - 0x61 + 10
            if let pending = high {
                key.append(pending << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        return key
    }
}
