import NIOFileSystem

extension S3Client {
    /// Uploads a whole file: one `PutObject` up to ``S3Configuration/partSize``, else a
    /// multipart upload in parts of that size, aborted if any step fails.
    ///
    /// Every request carries the SHA-256 of its bytes, so the server verifies what it stores.
    /// - Returns: The ETag of the new object.
    @discardableResult
    public func uploadFile(key: String, path: String) async throws -> String {
        try check(key: key, .putObject)
        let size: Int64
        do {
            guard let info = try await FileSystem.shared.info(forFileAt: FilePath(path)) else {
                throw invalidArgument("no file at \(path)", .putObject, key: key)
            }
            size = info.size
        } catch let error as S3Error {
            throw error
        } catch {
            throw invalidArgument("cannot read \(path): \(error)", .putObject, key: key)
        }
        let partSize = Int64(configuration.partSize)
        if size <= partSize {
            let sha256 = try await FileDigest.sha256Hex(path: path, offset: 0, length: size)
            return try await putObject(key: key, body: .file(path: path, offset: 0), length: size, sha256: sha256)
        }
        let partCount = (size + partSize - 1) / partSize
        guard partCount <= 10_000 else {
            throw invalidArgument("\(size) bytes need \(partCount) parts of \(partSize) bytes; the limit is 10000", .putObject, key: key)
        }
        let uploadID = try await createMultipartUpload(key: key)
        do {
            var parts: [S3CompletedPart] = []
            for index in 0..<partCount {
                let offset = index * partSize
                let length = min(partSize, size - offset)
                let sha256 = try await FileDigest.sha256Hex(path: path, offset: offset, length: length)
                let eTag = try await uploadPart(
                    key: key,
                    uploadID: uploadID,
                    partNumber: Int(index) + 1,
                    body: .file(path: path, offset: offset),
                    length: length,
                    sha256: sha256
                )
                parts.append(S3CompletedPart(partNumber: Int(index) + 1, eTag: eTag))
            }
            if let eTag = try await completeMultipartUpload(key: key, uploadID: uploadID, parts: parts) {
                return eTag
            }
        } catch {
            do {
                try await abortMultipartUpload(key: key, uploadID: uploadID)
            } catch let abortError {
                logger.warning(
                    "S3 could not abort a failed multipart upload",
                    metadata: ["s3.key": "\(key)", "s3.upload_id": "\(uploadID)", "s3.error": "\(abortError)"]
                )
            }
            throw error
        }
        // The completion answer had no ETag (radosgw 16.2): ask for it.
        guard let metadata = try await headObject(key: key) else {
            throw S3Error(
                code: "NoSuchKey",
                httpStatus: 404,
                message: "the object is missing right after its multipart upload completed",
                operation: .headObject,
                bucket: configuration.bucket,
                key: key
            )
        }
        return metadata.eTag
    }

    /// Stores `length` bytes of the file at `path` from `offset` as one object
    /// (`PutObject`), signed with their SHA-256 so the server verifies what it stores.
    @discardableResult
    public func putFileRange(key: String, path: String, offset: Int64, length: Int64) async throws -> String {
        let sha256 = try await FileDigest.sha256Hex(path: path, offset: offset, length: length)
        return try await putObject(key: key, body: .file(path: path, offset: offset), length: length, sha256: sha256)
    }

    /// Uploads `length` bytes of the file at `path` from `offset` as part `partNumber` of a
    /// multipart upload (`UploadPart`), signed with their SHA-256. Returns the part's ETag.
    public func uploadFilePart(key: String, uploadID: String, partNumber: Int, path: String, offset: Int64, length: Int64) async throws -> String {
        let sha256 = try await FileDigest.sha256Hex(path: path, offset: offset, length: length)
        return try await uploadPart(key: key, uploadID: uploadID, partNumber: partNumber, body: .file(path: path, offset: offset), length: length, sha256: sha256)
    }
}
