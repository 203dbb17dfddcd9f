import OCI

/// Where everything Ferry keeps under its data directory lives. The only code that
/// spells a path in it:
///
/// ```
/// <root>/blobs/<algorithm>/<xx>/<hex>        committed blobs (xx: the hash's first byte)
/// <root>/manifests/<algorithm>/<xx>/<hex>    committed manifests
/// <root>/tags/<upstream>/<repository>/@tags/<tag>   tag records
/// <root>/tmp/                                downloads and writes in progress
/// <root>/cache-index.sqlite                  the cache index
/// <root>/access-times                        access times of releases before the index
/// <root>/lock                               the server's lock
/// <root>/admin/admin.sock                    the server's admin socket (the directory is 0700)
/// ```
///
/// A valid `Digest` is lowercase hex, an upstream id is `[a-z0-9-]`, and a repository
/// name and tag are validated before they get here, so every path stays inside `root`;
/// `@` cannot occur in a repository name, so tags never collide with nested repositories.
public struct CacheLayout: Sendable, Hashable {
    /// The data directory.
    public let root: String

    /// A layout under `root`.
    public init(root: String) {
        self.root = root
    }

    /// Committed blobs.
    public var blobs: String { "\(root)/blobs" }
    /// Committed manifests.
    public var manifests: String { "\(root)/manifests" }
    /// Tag records.
    public var tags: String { "\(root)/tags" }
    /// Files being written: downloads, manifests and tag records before their rename.
    public var temporary: String { "\(root)/tmp" }
    /// The cache index (SQLite).
    public var index: String { "\(root)/cache-index.sqlite" }
    /// Access times written by releases before the index existed (imported once).
    public var legacyAccessTimes: String { "\(root)/access-times" }
    /// The lock `ferry serve` holds for its lifetime.
    public var lock: String { "\(root)/lock" }
    /// The directory of the admin socket: only the server's user may enter it.
    public var adminDirectory: String { "\(root)/admin" }
    /// The running server's admin socket (`ferry cache …` talks to it).
    public var adminSocket: String { "\(adminDirectory)/admin.sock" }

    /// Where the committed blob `digest` lives.
    public func blob(_ digest: Digest) -> String {
        "\(shard(.blob, algorithm: digest.algorithm, prefix: String(digest.hex.prefix(2))))/\(digest.hex)"
    }

    /// Where the committed manifest `digest` lives.
    public func manifest(_ digest: Digest) -> String {
        "\(shard(.manifest, algorithm: digest.algorithm, prefix: String(digest.hex.prefix(2))))/\(digest.hex)"
    }

    /// Where the record of `tag` in `repository` of the upstream with id `upstream` lives.
    public func tag(_ tag: String, repository: RepositoryName, upstream: String) -> String {
        "\(tags)/\(Self.tagRecordName(tag, repository: repository, upstream: upstream))"
    }

    /// The folder holding every tag record of `repository` of one upstream.
    public func tagFolder(repository: RepositoryName, upstream: String) -> String {
        "\(tags)/\(upstream)/\(repository.value)/@tags"
    }

    /// The shard folder of blobs or manifests whose hex digest starts with `prefix`.
    public func shard(_ kind: CacheEntry.Kind, algorithm: Digest.Algorithm, prefix: String) -> String {
        "\(kind == .blob ? blobs : manifests)/\(algorithm.rawValue)/\(prefix)"
    }

    /// A temporary file for a download of `digest` (unique per call).
    func temporaryDownload(for digest: Digest) -> String {
        "\(temporary)/\(digest.hex).\(UInt64.random(in: 0...UInt64.max)).partial"
    }

    /// A temporary file for an atomic write (unique per call).
    func temporaryWrite() -> String {
        "\(temporary)/write.\(UInt64.random(in: 0...UInt64.max))"
    }

    /// Where the file of `entry` lives.
    public func path(of entry: CacheEntry) -> String {
        switch entry.kind {
        case .blob: blob(entry.digest!)
        case .manifest: manifest(entry.digest!)
        case .tag: "\(tags)/\(entry.tagPath!)"
        }
    }

    /// A tag record's name under `tags/` (`upstream/repository/@tags/tag`): also its key
    /// in the cache index.
    static func tagRecordName(_ tag: String, repository: RepositoryName, upstream: String) -> String {
        "\(upstream)/\(repository.value)/@tags/\(tag)"
    }
}
