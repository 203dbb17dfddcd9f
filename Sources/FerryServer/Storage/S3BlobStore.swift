import Cache
import Foundation
import Logging
import OCI
import S3
import Synchronization

/// Blobs in an S3 bucket, by digest (`PREFIXblobs/<algorithm>/<hex>`): the cache's second
/// level. A blob is written with a multipart upload whose parts are read back from the
/// download's temporary file, and becomes visible only when the upload completes
/// (S3 shows no object before `CompleteMultipartUpload`); every request is signed with
/// the bytes' SHA-256, so the store checks what it keeps.
struct S3BlobStore: BlobStore {
    let client: S3Client
    /// Prepended to every key (`storage.s3.prefix`).
    let prefix: String

    /// The object key of `digest`.
    func key(_ digest: Digest) -> String {
        "\(prefix)blobs/\(digest.algorithm.rawValue)/\(digest.hex)"
    }

    func size(of digest: Digest) async throws -> Int64? {
        try await client.headObject(key: key(digest))?.size
    }

    func read(_ digest: Digest, range: ClosedRange<Int64>?) async throws -> BlobChunks? {
        do {
            return BlobChunks(try await client.getObject(key: key(digest), range: range).body)
        } catch let error as S3Error where error.code == "NoSuchKey" {
            return nil
        }
    }

    func publish(_ digest: Digest, verifiedFile path: String, size: Int64) async throws {
        try await client.putFileRange(key: key(digest), path: path, offset: 0, length: size)
    }

    func remove(_ digest: Digest) async throws -> Bool {
        guard try await client.headObject(key: key(digest)) != nil else { return false }
        try await client.deleteObject(key: key(digest))
        return true
    }

    func startUpload(_ digest: Digest) async throws -> any BlobUpload {
        S3BlobUpload(client: client, key: key(digest))
    }

    /// Aborts multipart uploads started before `before` (left by a server that died while
    /// filling); returns how many.
    func abortUploads(startedBefore before: Date, logger: Logger) async throws -> Int {
        var aborted = 0
        for upload in try await client.listMultipartUploads(prefix: "\(prefix)blobs/") where (upload.initiated ?? .distantPast) < before {
            try await client.abortMultipartUpload(key: upload.key, uploadID: upload.uploadID)
            logger.notice("aborted a stale upload to the shared store", metadata: ["key": "\(upload.key)", "initiated": "\(upload.initiated.map { "\($0)" } ?? "-")"])
            aborted += 1
        }
        return aborted
    }
}

/// One blob's upload: a multipart upload started with the first part; a blob smaller
/// than one part is a single `PutObject` at `complete`.
final class S3BlobUpload: BlobUpload, Sendable {
    let client: S3Client
    let key: String
    private let state = Mutex<(uploadID: String?, parts: [S3CompletedPart])>((nil, []))

    init(client: S3Client, key: String) {
        self.client = client
        self.key = key
    }

    var partSize: Int64 { Int64(client.configuration.partSize) }

    func append(fileAt path: String, offset: Int64, length: Int64) async throws {
        var uploadID = state.withLock { $0.uploadID }
        if uploadID == nil {
            let started = try await client.createMultipartUpload(key: key)
            state.withLock { $0.uploadID = started }
            uploadID = started
        }
        let number = state.withLock { $0.parts.count } + 1
        let eTag = try await client.uploadFilePart(key: key, uploadID: uploadID!, partNumber: number, path: path, offset: offset, length: length)
        state.withLock { $0.parts.append(S3CompletedPart(partNumber: number, eTag: eTag)) }
    }

    func complete(fileAt path: String, from offset: Int64, size: Int64) async throws {
        guard let uploadID = state.withLock({ $0.uploadID }) else {
            try await client.putFileRange(key: key, path: path, offset: 0, length: size)
            return
        }
        if size > offset {
            try await append(fileAt: path, offset: offset, length: size - offset)
        }
        try await client.completeMultipartUpload(key: key, uploadID: uploadID, parts: state.withLock { $0.parts })
    }

    func abort() async {
        guard let uploadID = state.withLock({ $0.uploadID }) else { return }
        try? await client.abortMultipartUpload(key: key, uploadID: uploadID)
    }
}
