import Foundation
import Logging
import OCI
import Synchronization

/// A manifest ready to send to a client.
public struct ManifestResponse: Sendable {
    public let manifest: StoredManifest
    public let source: CacheSource
}

/// What a manifest HEAD answers: the manifest's digest, type and size.
public struct ManifestHead: Sendable, Equatable {
    public let digest: Digest
    public let mediaType: String
    public let size: Int
    public let source: CacheSource

    /// The head of a stored manifest.
    init(_ manifest: StoredManifest, source: CacheSource) {
        self.init(digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.count, source: source)
    }

    /// Creates a head.
    public init(digest: Digest, mediaType: String, size: Int, source: CacheSource) {
        self.digest = digest
        self.mediaType = mediaType
        self.size = size
        self.source = source
    }
}

/// Manifests through the cache. By digest: fetched once, verified, kept for good. By
/// tag: served from the cache while younger than the revalidation interval, then
/// revalidated with HEAD (which Docker Hub does not count) and refetched only when the
/// digest changed; served stale when the upstream is down, slow or rate-limiting. A
/// client's HEAD never costs an upstream GET (`manifestHead`).
/// Concurrent requests for the same tag, or for the same digest in the same
/// repository, share one upstream round trip.
///
/// After a failed revalidation the upstream is left alone for `staleBackoff`: cached
/// tags are served stale at once instead of each request waiting out a timeout again.
/// A disk too full to record anything does not fail a request: what was fetched is
/// served from memory.
public final class PullThroughManifestCache: Sendable {
    /// Registries cap manifests at 4 MiB; so does Ferry.
    public static let maximumManifestSize = 4 << 20

    public let store: FileSystemManifestStore
    let revalidationInterval: TimeInterval
    let staleBackoff: TimeInterval
    let now: @Sendable () -> Date
    let logger: Logger
    private let tagFlights = SingleFlight<String, StoredManifest>()
    private let digestFlights = SingleFlight<String, StoredManifest>()
    /// Upstream id → until when it is considered down.
    private let failing = Mutex<[String: Date]>([:])

    /// Creates the cache; `now` is the clock used to age tag records.
    public init(
        store: FileSystemManifestStore, revalidationInterval: TimeInterval, staleBackoff: TimeInterval = 30, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.revalidationInterval = revalidationInterval
        self.staleBackoff = staleBackoff
        self.logger = logger
        self.now = now
    }

    /// The manifest for `reference`, negotiated against the client's accepted types:
    /// a client that cannot take a multi-arch index for a tag gets the linux/amd64
    /// manifest from it, as registries do.
    public func manifest(
        _ reference: Reference,
        repository: RepositoryName,
        upstream: any Upstream,
        accepted: [String]?,
        logger: Logger
    ) async throws(CacheError) -> ManifestResponse {
        switch reference {
        case .digest(let digest):
            return try await manifest(digest: digest, repository: repository, upstream: upstream)
        case .tag(let tag):
            let response = try await manifest(tag: tag, repository: repository, upstream: upstream, logger: logger)
            if MediaType.accepts(accepted, response.manifest.mediaType) { return response }
            return try await platformManifest(from: response, repository: repository, upstream: upstream, accepted: accepted)
        }
    }

    /// Answers a manifest HEAD without an upstream GET: from the cache (revalidating a
    /// tag with an upstream HEAD, as a GET would), or, when nothing is cached, from an
    /// upstream HEAD, caching nothing (Docker Hub counts GETs, not HEADs, against the
    /// operator's allowance). Nil when only a GET can answer: the upstream's HEAD lacks the
    /// digest or size, or the client cannot take the index a tag points to and its
    /// platform's manifest is not known yet. The caller then counts the HEAD as a pull
    /// and asks `manifest`.
    public func manifestHead(
        _ reference: Reference, repository: RepositoryName, upstream: any Upstream, accepted: [String]?, logger: Logger
    ) async throws(CacheError) -> ManifestHead? {
        switch reference {
        case .digest(let digest):
            if let stored = store.manifest(digest) { return ManifestHead(stored, source: .hit) }
            let answer: UpstreamManifest
            do {
                answer = try await upstream.manifest(repository, reference: .digest(digest), headOnly: true)
            } catch {
                throw clientError(error, upstream: upstream)
            }
            guard answer.digest == nil || answer.digest == digest, let size = answer.size, !answer.mediaType.isEmpty else { return nil }
            return ManifestHead(digest: digest, mediaType: answer.mediaType, size: Int(size), source: .miss)
        case .tag(let tag):
            guard let (cached, fromUpstream) = try await tagHead(tag, repository: repository, upstream: upstream, logger: logger) else { return nil }
            guard let cached else {
                guard let fromUpstream, MediaType.accepts(accepted, fromUpstream.mediaType) else { return nil }
                return fromUpstream
            }
            if MediaType.accepts(accepted, cached.manifest.mediaType) { return ManifestHead(cached.manifest, source: cached.source) }
            guard MediaType.isIndex(cached.manifest.mediaType),
                  let index = try? JSONDecoder().decode(ImageIndex.self, from: Data(cached.manifest.bytes)),
                  let entry = index.manifests.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" }) ?? index.manifests.first
            else { throw CacheError(.notAcceptable, "manifest is \(cached.manifest.mediaType), which the client does not accept") }
            guard MediaType.accepts(accepted, entry.mediaType) else {
                throw CacheError(.notAcceptable, "manifest is \(cached.manifest.mediaType), which the client does not accept")
            }
            return try await manifestHead(.digest(entry.digest), repository: repository, upstream: upstream, accepted: accepted, logger: logger)
        }
    }

    /// A tag's manifest for a HEAD: the cached one if it is fresh or the upstream's HEAD
    /// confirms it (or the upstream cannot be asked), else what the upstream's HEAD says.
    /// Nil when the upstream's HEAD lacks the digest or size.
    private func tagHead(
        _ tag: String, repository: RepositoryName, upstream: any Upstream, logger: Logger
    ) async throws(CacheError) -> (cached: ManifestResponse?, fromUpstream: ManifestHead?)? {
        let upstreamID = upstream.configuration.id
        let record = store.tag(tag, repository: repository, upstream: upstreamID)
        let cached = record.flatMap { store.manifest($0.digest) }
        if let record, let cached, now().timeIntervalSince(record.validatedAt) < revalidationInterval {
            return (ManifestResponse(manifest: cached, source: .hit), nil)
        }
        if let cached, isBackingOff(upstreamID) { return (ManifestResponse(manifest: cached, source: .stale), nil) }
        let head: UpstreamManifest
        do {
            head = try await upstream.manifest(repository, reference: .tag(tag), headOnly: true)
        } catch {
            if error.allowsStaleCopy, let cached {
                backOff(upstreamID)
                logger.warning("upstream unavailable; serving cached tags without asking it for \(Int(staleBackoff)) s", metadata: [
                    "upstream": "\(upstream.configuration.registry)", "repo": "\(repository)", "tag": "\(tag)", "error": "\(error)",
                ])
                return (ManifestResponse(manifest: cached, source: .stale), nil)
            }
            if case .notFound = error { store.removeTag(tag, repository: repository, upstream: upstreamID) }
            throw clientError(error, upstream: upstream)
        }
        // The tag points to a manifest the cache holds (its own old one, or one cached by
        // digest or for another tag): answer from it, and note the tag.
        if let digest = head.digest, let known = digest == cached?.digest ? cached : store.manifest(digest) {
            recordTag(tag, repository: repository, upstreamID: upstreamID, manifest: known)
            return (ManifestResponse(manifest: known, source: .hit), nil)
        }
        guard let digest = head.digest, let size = head.size, !head.mediaType.isEmpty else { return nil }
        return (nil, ManifestHead(digest: digest, mediaType: head.mediaType, size: Int(size), source: .miss))
    }

    /// Passes a tag-list request through to the upstream.
    public func tags(_ repository: RepositoryName, upstream: any Upstream, count: Int?, last: String?) async throws(CacheError) -> UpstreamTagList {
        do {
            return try await upstream.tags(repository, count: count, last: last)
        } catch {
            throw CacheError(error, notFound: .nameUnknown, upstream: upstream.configuration.registry)
        }
    }

    // MARK: - By digest

    func manifest(digest: Digest, repository: RepositoryName, upstream: any Upstream) async throws(CacheError) -> ManifestResponse {
        if let stored = store.manifest(digest) { return ManifestResponse(manifest: stored, source: .hit) }
        do {
            // Keyed by repository too: one client's "not in my repository" must not
            // become another's answer.
            let fetched = try await digestFlights.run("\(upstream.configuration.id)/\(repository.value)@\(digest)") {
                if let stored = store.manifest(digest) { return stored }
                let answer = try await upstream.manifest(repository, reference: .digest(digest), headOnly: false)
                return try verifiedManifest(answer, expected: digest, upstream: upstream)
            }
            return ManifestResponse(manifest: fetched, source: .miss)
        } catch {
            throw clientError(error, upstream: upstream)
        }
    }

    // MARK: - By tag

    private func manifest(tag: String, repository: RepositoryName, upstream: any Upstream, logger: Logger) async throws(CacheError) -> ManifestResponse {
        let upstreamID = upstream.configuration.id
        let record = store.tag(tag, repository: repository, upstream: upstreamID)
        let cached = record.flatMap { store.manifest($0.digest) }
        if let record, let cached, now().timeIntervalSince(record.validatedAt) < revalidationInterval {
            return ManifestResponse(manifest: cached, source: .hit)
        }
        if let cached, isBackingOff(upstreamID) {
            return ManifestResponse(manifest: cached, source: .stale)
        }
        do {
            let key = "\(upstreamID)/\(repository.value):\(tag)"
            let manifest = try await tagFlights.run(key) {
                try await revalidate(tag: tag, repository: repository, upstream: upstream, cached: cached)
            }
            return ManifestResponse(manifest: manifest, source: manifest.digest == cached?.digest ? .hit : .miss)
        } catch let error as UpstreamError where error.allowsStaleCopy && cached != nil {
            backOff(upstreamID)
            logger.warning("upstream unavailable; serving cached tags without asking it for \(Int(staleBackoff)) s", metadata: [
                "upstream": "\(upstream.configuration.registry)", "repo": "\(repository)", "tag": "\(tag)", "error": "\(error)",
            ])
            return ManifestResponse(manifest: cached!, source: .stale)
        } catch {
            if case .notFound = error as? UpstreamError {
                store.removeTag(tag, repository: repository, upstream: upstreamID)
            }
            throw clientError(error, upstream: upstream)
        }
    }

    /// Asks the upstream what the tag points to now: HEAD when a copy is cached (free on
    /// Docker Hub), GET only when the digest changed or nothing is cached.
    private func revalidate(tag: String, repository: RepositoryName, upstream: any Upstream, cached: StoredManifest?) async throws -> StoredManifest {
        let upstreamID = upstream.configuration.id
        if let cached {
            let head = try await upstream.manifest(repository, reference: .tag(tag), headOnly: true)
            if head.digest == cached.digest {
                recordTag(tag, repository: repository, upstreamID: upstreamID, manifest: cached)
                return cached
            }
        }
        let answer = try await upstream.manifest(repository, reference: .tag(tag), headOnly: false)
        let manifest = try verifiedManifest(answer, expected: answer.digest, upstream: upstream)
        recordTag(tag, repository: repository, upstreamID: upstreamID, manifest: manifest)
        return manifest
    }

    /// Notes that the upstream confirmed the tag now; a failed disk write is logged, not
    /// thrown (the record holds in memory, and the upstream did answer).
    private func recordTag(_ tag: String, repository: RepositoryName, upstreamID: String, manifest: StoredManifest) {
        do {
            try store.storeTag(tag, repository: repository, upstream: upstreamID, record: TagRecord(digest: manifest.digest, mediaType: manifest.mediaType, validatedAt: now()))
        } catch {
            logger.warning("cannot record tag on disk; serving it from memory", metadata: ["repo": "\(repository)", "tag": "\(tag)", "error": "\(error)"])
        }
    }

    private func isBackingOff(_ upstreamID: String) -> Bool {
        let now = now()
        return failing.withLock { $0[upstreamID].map { now < $0 } ?? false }
    }

    private func backOff(_ upstreamID: String) {
        let until = now().addingTimeInterval(staleBackoff)
        failing.withLock { $0[upstreamID] = until }
    }

    // MARK: - Helpers

    /// Checks size and digest of a fetched manifest and stores it.
    private func verifiedManifest(_ answer: UpstreamManifest, expected: Digest?, upstream: any Upstream) throws -> StoredManifest {
        guard let body = answer.body else { throw UpstreamError.invalidResponse("manifest without body") }
        guard body.count <= Self.maximumManifestSize else {
            throw CacheError(.manifestInvalid, "manifest from upstream \(upstream.configuration.registry) exceeds \(Self.maximumManifestSize) bytes")
        }
        let computed = DigestHasher.digest(of: body, algorithm: expected?.algorithm ?? .sha256)
        if let expected, computed != expected {
            logger.error("upstream manifest digest mismatch; discarded", metadata: [
                "upstream": "\(upstream.configuration.registry)", "expected": "\(expected)", "computed": "\(computed)",
            ])
            throw CacheError(.digestMismatch, "upstream manifest does not match digest \(expected)")
        }
        let manifest = StoredManifest(mediaType: answer.mediaType, digest: computed, bytes: body)
        do {
            try store.store(manifest)
        } catch {
            logger.warning("cannot store manifest on disk; serving it from memory", metadata: ["digest": "\(computed)", "error": "\(error)"])
        }
        return manifest
    }

    /// For a client that cannot take an index: the index's linux/amd64 entry (or its first).
    private func platformManifest(from response: ManifestResponse, repository: RepositoryName, upstream: any Upstream, accepted: [String]?) async throws(CacheError) -> ManifestResponse {
        let notAcceptable = CacheError(.notAcceptable, "manifest is \(response.manifest.mediaType), which the client does not accept")
        guard MediaType.isIndex(response.manifest.mediaType),
              let index = try? JSONDecoder().decode(ImageIndex.self, from: Data(response.manifest.bytes)),
              let entry = index.manifests.first(where: { $0.platform?.os == "linux" && $0.platform?.architecture == "amd64" }) ?? index.manifests.first,
              MediaType.accepts(accepted, entry.mediaType)
        else { throw notAcceptable }
        return try await manifest(digest: entry.digest, repository: repository, upstream: upstream)
    }

    private func clientError(_ error: any Error, upstream: any Upstream) -> CacheError {
        switch error {
        case let error as CacheError: return error
        case let error as UpstreamError: return CacheError(error, notFound: .manifestUnknown, upstream: upstream.configuration.registry)
        default:
            logger.error("manifest cache storage error", metadata: ["error": "\(error)"])
            return CacheError(.unavailable, "cache storage error")
        }
    }
}
