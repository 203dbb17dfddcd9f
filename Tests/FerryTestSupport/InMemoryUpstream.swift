import Cache
import Crypto
import Foundation
import NIOCore
import OCI
import Synchronization


/// An upstream registry held in memory, for unit and HTTP tests: it serves what the
/// test put in it, counts every request, and can be told to fail, corrupt a blob, or
/// hold a blob's body until the test releases it.
public final class InMemoryUpstream: Upstream, Sendable {
    public let configuration: UpstreamConfiguration

    /// Requests the upstream answered, by kind.
    public struct Counts: Sendable, Equatable {
        public var manifestGets = 0
        public var manifestHeads = 0
        public var blobGets = 0
        public var blobHeads = 0
        public var tagLists = 0

        public init(manifestGets: Int = 0, manifestHeads: Int = 0, blobGets: Int = 0, blobHeads: Int = 0, tagLists: Int = 0) {
            self.manifestGets = manifestGets
            self.manifestHeads = manifestHeads
            self.blobGets = blobGets
            self.blobHeads = blobHeads
            self.tagLists = tagLists
        }
    }

    private struct State {
        var manifests: [String: (mediaType: String, bytes: [UInt8])] = [:]  // "repo@digest"
        var tags: [String: OCI.Digest] = [:]  // "repo:tag"
        var blobs: [OCI.Digest: [UInt8]] = [:]
        var corrupted: Set<OCI.Digest> = []
        var failure: UpstreamError?
        var counts = Counts()
        var gate: BlobGate?
        var responseGate: BlobGate?
    }

    private let state = Mutex(State())
    /// Bytes per body chunk when streaming a blob.
    public let chunkSize: Int

    /// Creates an empty upstream.
    public init(
        id: String = "test",
        registry: String = "test.example",
        aliases: [String] = [],
        hosts: [String] = [],
        usesLibraryNamespace: Bool = false,
        chunkSize: Int = 64 * 1024
    ) {
        self.configuration = UpstreamConfiguration(
            id: id, registry: registry, aliases: aliases, url: URL(string: "https://\(registry)")!, hosts: hosts, usesLibraryNamespace: usesLibraryNamespace
        )
        self.chunkSize = chunkSize
    }

    public var counts: Counts { state.withLock { $0.counts } }

    /// Adds a blob and returns its digest.
    @discardableResult
    public func addBlob(_ bytes: [UInt8]) -> OCI.Digest {
        let digest = OCI.Digest(algorithm: .sha256, bytes: SHA256.hash(data: bytes))
        state.withLock { $0.blobs[digest] = bytes }
        return digest
    }

    /// Adds a manifest under `repository`, optionally tagged, and returns its digest.
    @discardableResult
    public func addManifest(_ bytes: [UInt8], mediaType: String, repository: String, tag: String? = nil) -> OCI.Digest {
        let digest = OCI.Digest(algorithm: .sha256, bytes: SHA256.hash(data: bytes))
        state.withLock { state in
            state.manifests["\(repository)@\(digest)"] = (mediaType, bytes)
            if let tag { state.tags["\(repository):\(tag)"] = digest }
        }
        return digest
    }

    /// Removes a tag (the upstream then answers 404 for it).
    public func removeTag(_ tag: String, repository: String) {
        state.withLock { _ = $0.tags.removeValue(forKey: "\(repository):\(tag)") }
    }

    /// Makes every request fail with `error` (nil: answer normally again).
    public func fail(with error: UpstreamError?) {
        state.withLock { $0.failure = error }
    }

    /// Serves `digest` with its last byte flipped.
    public func corrupt(_ digest: OCI.Digest) {
        state.withLock { _ = $0.corrupted.insert(digest) }
    }

    /// Holds blob bodies after their first chunk until `gate.open()`.
    public func hold(with gate: BlobGate?) {
        state.withLock { $0.gate = gate }
    }

    /// Holds every answer (manifests, blobs, sizes) until `gate.open()`: a slow upstream.
    public func holdResponses(with gate: BlobGate?) {
        state.withLock { $0.responseGate = gate }
    }

    private func waitToRespond() async {
        if let gate = state.withLock({ $0.responseGate }) { await gate.wait() }
    }

    public func manifest(_ repository: RepositoryName, reference: Reference, headOnly: Bool) async throws(UpstreamError) -> UpstreamManifest {
        await waitToRespond()
        let result: Result<UpstreamManifest, UpstreamError> = state.withLock { state in
            if headOnly { state.counts.manifestHeads += 1 } else { state.counts.manifestGets += 1 }
            if let failure = state.failure { return .failure(failure) }
            let digest: OCI.Digest?
            switch reference {
            case .digest(let value): digest = value
            case .tag(let tag): digest = state.tags["\(repository.value):\(tag)"]
            }
            guard let digest, let manifest = state.manifests["\(repository.value)@\(digest)"] else { return .failure(.notFound) }
            return .success(UpstreamManifest(mediaType: manifest.mediaType, digest: digest, body: headOnly ? nil : manifest.bytes, size: Int64(manifest.bytes.count)))
        }
        return try result.get()
    }

    public func blob(_ repository: RepositoryName, digest: OCI.Digest, from offset: Int64, through end: Int64?) async throws(UpstreamError) -> UpstreamBlob {
        await waitToRespond()
        let result: Result<(bytes: [UInt8], gate: BlobGate?), UpstreamError> = state.withLock { state in
            state.counts.blobGets += 1
            if let failure = state.failure { return .failure(failure) }
            guard var bytes = state.blobs[digest] else { return .failure(.notFound) }
            if state.corrupted.contains(digest), !bytes.isEmpty { bytes[bytes.count - 1] ^= 0xff }
            let last = min(Int(end ?? Int64(bytes.count - 1)), bytes.count - 1)
            return .success((Int(offset) <= last ? Array(bytes[Int(offset)...last]) : [], state.gate))
        }
        let (bytes, gate) = try result.get()
        return UpstreamBlob(
            contentLength: Int64(bytes.count), offset: offset, body: InMemoryBlobBody(bytes: bytes, chunkSize: chunkSize, gate: gate, sent: sent)
        )
    }

    /// Blob bytes handed to readers so far: what a real upstream would have sent.
    public var bytesSent: Int64 { sent.value }
    private let sent = ByteTally()

    public func blobSize(_ repository: RepositoryName, digest: OCI.Digest) async throws(UpstreamError) -> Int64? {
        await waitToRespond()
        let result: Result<Int64?, UpstreamError> = state.withLock { state in
            state.counts.blobHeads += 1
            if let failure = state.failure { return .failure(failure) }
            guard let bytes = state.blobs[digest] else { return .failure(.notFound) }
            return .success(Int64(bytes.count))
        }
        return try result.get()
    }

    public func tags(_ repository: RepositoryName, count: Int?, last: String?) async throws(UpstreamError) -> UpstreamTagList {
        let result: Result<UpstreamTagList, UpstreamError> = state.withLock { state in
            state.counts.tagLists += 1
            if let failure = state.failure { return .failure(failure) }
            let prefix = "\(repository.value):"
            var tags = state.tags.keys.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.sorted()
            guard !tags.isEmpty else { return .failure(.notFound) }
            if let last { tags = tags.filter { $0 > last } }
            var link: String?
            if let count, tags.count > count {
                tags = Array(tags.prefix(count))
                link = "</v2/\(repository.value)/tags/list?n=\(count)&last=\(tags.last!)>; rel=\"next\""
            }
            let body = try! JSONSerialization.data(withJSONObject: ["name": repository.value, "tags": tags])
            return .success(UpstreamTagList(body: Array(body), link: link))
        }
        return try result.get()
    }
}

/// A blob body produced chunk by chunk as its reader asks (as a socket with
/// backpressure would), holding after the first chunk while `gate` is closed.
struct InMemoryBlobBody: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let bytes: [UInt8]
    let chunkSize: Int
    let gate: BlobGate?
    let sent: ByteTally

    func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(body: self)
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let body: InMemoryBlobBody
        var offset = 0

        mutating func next() async throws -> ByteBuffer? {
            guard offset < body.bytes.count else { return nil }
            if offset > 0, let gate = body.gate { await gate.wait() }
            try Task.checkCancellation()
            let end = Swift.min(offset + body.chunkSize, body.bytes.count)
            defer { offset = end }
            body.sent.add(Int64(end - offset))
            return ByteBuffer(bytes: body.bytes[offset..<end])
        }
    }
}

/// A byte count shared by the bodies of one upstream.
final class ByteTally: Sendable {
    private let count = Mutex<Int64>(0)
    var value: Int64 { count.withLock { $0 } }
    func add(_ bytes: Int64) { count.withLock { $0 += bytes } }
}

/// A one-shot latch a test opens to let held blob bodies continue.
public final class BlobGate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    public init() {}

    /// Lets every held and future body continue.
    public func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    /// How many callers are waiting at the gate right now.
    public var waiting: Int { state.withLock { $0.waiters.count } }

    /// Returns once the gate is open.
    public func wait() async {
        await withCheckedContinuation { continuation in
            let proceed = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if proceed { continuation.resume() }
        }
    }
}

/// A clock tests move by hand.
public final class TestClock: Sendable {
    private let current: Mutex<Date>

    public init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    public var now: Date { current.withLock { $0 } }

    public func advance(by seconds: TimeInterval) {
        current.withLock { $0 = $0.addingTimeInterval(seconds) }
    }

    public func advance(to date: Date) {
        current.withLock { $0 = date }
    }
}

/// Deterministic pseudo-random bytes.
public func seededBytes(count: Int, seed: UInt64) -> [UInt8] {
    var state = seed &+ 0x9E37_79B9_7F4A_7C15
    var bytes = [UInt8](repeating: 0, count: count)
    for index in 0..<count {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        bytes[index] = UInt8(truncatingIfNeeded: state)
    }
    return bytes
}

/// SHA-256 digest of bytes.
public func sha256Digest(_ bytes: some Sequence<UInt8>) -> OCI.Digest {
    OCI.Digest(algorithm: .sha256, bytes: SHA256.hash(data: Array(bytes)))
}

/// Waits until `gate` opens.
public func gateWait(_ gate: BlobGate) async {
    await gate.wait()
}

/// A thread-safe counter for tests.
public final class Counter: Sendable {
    private let count = Mutex(0)

    public init() {}

    public var value: Int { count.withLock { $0 } }

    public func increment() { count.withLock { $0 += 1 } }
}
