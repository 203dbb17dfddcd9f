import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Starts a multipart upload (`CreateMultipartUpload`) and returns its upload id.
    ///
    /// The object does not exist until ``completeMultipartUpload(key:uploadID:parts:)``;
    /// an upload that is never completed must be aborted (see ``listMultipartUploads(prefix:)``).
    public func createMultipartUpload(key: String) async throws -> String {
        try check(key: key, .createMultipartUpload)
        let request = S3Request(operation: .createMultipartUpload, key: key, method: .POST, query: [SigV4QueryItem("uploads")])
        return try await send(request) { response in
            let body = try await collectDocument(response)
            let document = try parseDocument(body, expecting: "InitiateMultipartUploadResult", request, status: response.status)
            guard let uploadID = document.text(of: "UploadId"), !uploadID.isEmpty else {
                throw missing("<UploadId>", request, status: response.status)
            }
            return uploadID
        }
    }

    /// Uploads one part (`UploadPart`) and returns its ETag.
    ///
    /// - Parameters:
    ///   - partNumber: 1…10000. Every part but the last must be at least 5 MiB.
    ///   - body: The part's bytes, from memory or a file range.
    ///   - length: The part length in bytes.
    ///   - sha256: The part's SHA-256 as hex (signed, checked by the server), or nil for `UNSIGNED-PAYLOAD`.
    public func uploadPart(
        key: String,
        uploadID: String,
        partNumber: Int,
        body: S3RequestBody,
        length: Int64,
        sha256: String?
    ) async throws -> String {
        try check(key: key, .uploadPart)
        guard (1...10_000).contains(partNumber) else {
            throw invalidArgument("part number must be 1…10000, got \(partNumber)", .uploadPart, key: key)
        }
        let hash = try payloadHash(sha256, .uploadPart, key: key)
        try await check(body: body, length: length, .uploadPart, key: key)
        let request = S3Request(
            operation: .uploadPart,
            key: key,
            method: .PUT,
            query: [SigV4QueryItem("partNumber", String(partNumber)), SigV4QueryItem("uploadId", uploadID)],
            body: body,
            bodyLength: length,
            payloadHash: hash
        )
        return try await send(request) { response in
            _ = try await response.body.collect(upTo: 1 << 20)
            guard let eTag = response.headers.first(name: "etag") else {
                throw missing("ETag header", request, status: response.status)
            }
            return eTag
        }
    }

    /// Completes a multipart upload (`CompleteMultipartUpload`) and returns the object's ETag,
    /// or nil when the answer leaves it out (radosgw 16.2 sends an empty `<ETag/>`; `HEAD` has it).
    ///
    /// S3 may answer 200 and still fail, with an `<Error>` document in the body: that is
    /// thrown as an ``S3Error`` (and retried when retryable), never taken as success.
    @discardableResult
    public func completeMultipartUpload(key: String, uploadID: String, parts: [S3CompletedPart]) async throws -> String? {
        try check(key: key, .completeMultipartUpload)
        guard !parts.isEmpty else {
            throw invalidArgument("a multipart upload needs at least one part", .completeMultipartUpload, key: key)
        }
        var xml = "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
        for part in parts.sorted(by: { $0.partNumber < $1.partNumber }) {
            xml += "<Part><PartNumber>\(part.partNumber)</PartNumber><ETag>\(S3XMLEscaping.escape(part.eTag))</ETag></Part>"
        }
        xml += "</CompleteMultipartUpload>"
        let bytes = Array(xml.utf8)
        let request = S3Request(
            operation: .completeMultipartUpload,
            key: key,
            method: .POST,
            query: [SigV4QueryItem("uploadId", uploadID)],
            headers: [SigV4Header("content-type", "application/xml")],
            body: .bytes(ByteBuffer(bytes: bytes)),
            bodyLength: Int64(bytes.count),
            payloadHash: .sha256(of: bytes)
        )
        return try await send(request) { response in
            let body = try await collectDocument(response)
            let document = try parseDocument(body, expecting: "CompleteMultipartUploadResult", request, status: response.status)
            guard let eTag = document.text(of: "ETag"), !eTag.isEmpty else {
                return response.headers.first(name: "etag")
            }
            return eTag
        }
    }

    /// Aborts a multipart upload (`AbortMultipartUpload`), freeing its parts.
    public func abortMultipartUpload(key: String, uploadID: String) async throws {
        try check(key: key, .abortMultipartUpload)
        let request = S3Request(
            operation: .abortMultipartUpload,
            key: key,
            method: .DELETE,
            query: [SigV4QueryItem("uploadId", uploadID)]
        )
        try await send(request) { response in
            _ = try await response.body.collect(upTo: 1 << 20)
        }
    }

    /// Lists every unfinished multipart upload under `prefix` (`ListMultipartUploads`),
    /// following pagination, for sweeping stale uploads.
    public func listMultipartUploads(prefix: String = "") async throws -> [S3MultipartUploadSummary] {
        var uploads: [S3MultipartUploadSummary] = []
        var keyMarker: String?
        var uploadIDMarker: String?
        while true {
            var query = [SigV4QueryItem("uploads")]
            if !prefix.isEmpty {
                query.append(SigV4QueryItem("prefix", prefix))
            }
            if let keyMarker {
                query.append(SigV4QueryItem("key-marker", keyMarker))
            }
            if let uploadIDMarker {
                query.append(SigV4QueryItem("upload-id-marker", uploadIDMarker))
            }
            let request = S3Request(operation: .listMultipartUploads, key: nil, method: .GET, query: query)
            let page = try await send(request) { response in
                let body = try await collectDocument(response)
                return try parseDocument(body, expecting: "ListMultipartUploadsResult", request, status: response.status)
            }
            for upload in page.children(named: "Upload") {
                guard let key = upload.text(of: "Key"), let uploadID = upload.text(of: "UploadId") else { continue }
                uploads.append(
                    S3MultipartUploadSummary(
                        key: key,
                        uploadID: uploadID,
                        initiated: upload.text(of: "Initiated").flatMap(S3Timestamp.parseISO8601)
                    )
                )
            }
            guard page.text(of: "IsTruncated") == "true" else {
                return uploads
            }
            let nextKey = page.text(of: "NextKeyMarker")
            let nextUploadID = page.text(of: "NextUploadIdMarker")
            guard let nextKey, !nextKey.isEmpty, nextKey != keyMarker || nextUploadID != uploadIDMarker else {
                throw S3Error(
                    code: S3Error.invalidResponse,
                    httpStatus: 200,
                    message: "a truncated page without new markers",
                    operation: .listMultipartUploads,
                    bucket: configuration.bucket,
                    key: nil
                )
            }
            keyMarker = nextKey
            uploadIDMarker = nextUploadID
        }
    }
}
