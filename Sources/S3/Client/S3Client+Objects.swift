import AsyncHTTPClient
import NIOCore
import NIOHTTP1

extension S3Client {
    /// Stores an object in one request (`PutObject`).
    ///
    /// - Parameters:
    ///   - key: The object key.
    ///   - body: The bytes, from memory or a file range; streamed, never copied whole.
    ///   - length: The body length in bytes (checked against the buffer or the file first).
    ///   - sha256: The body's SHA-256 as hex, signed and checked by the server; nil sends
    ///     `UNSIGNED-PAYLOAD` (fine over TLS).
    /// - Returns: The ETag of the new object.
    @discardableResult
    public func putObject(key: String, body: S3RequestBody, length: Int64, sha256: String?) async throws -> String {
        try check(key: key, .putObject)
        let hash = try payloadHash(sha256, .putObject, key: key)
        try await check(body: body, length: length, .putObject, key: key)
        let request = S3Request(operation: .putObject, key: key, method: .PUT, body: body, bodyLength: length, payloadHash: hash)
        return try await send(request) { response in
            _ = try await response.body.collect(upTo: 1 << 20)
            guard let eTag = response.headers.first(name: "etag") else {
                throw missing("ETag header", request, status: response.status)
            }
            return eTag
        }
    }

    /// Reads an object's size and ETag (`HeadObject`); nil when there is no such object (404).
    public func headObject(key: String) async throws -> S3ObjectMetadata? {
        try check(key: key, .headObject)
        let request = S3Request(operation: .headObject, key: key, method: .HEAD)
        do {
            return try await send(request) { response in
                _ = try await response.body.collect(upTo: 1 << 16)
                guard let length = response.headers.first(name: "content-length").flatMap({ Int64($0) }) else {
                    throw missing("Content-Length header", request, status: response.status)
                }
                return S3ObjectMetadata(
                    size: length,
                    eTag: response.headers.first(name: "etag") ?? "",
                    lastModified: response.headers.first(name: "last-modified").flatMap(S3Timestamp.parseHTTPDate),
                    contentType: response.headers.first(name: "content-type")
                )
            }
        } catch let error as S3Error where error.httpStatus == 404 {
            return nil
        }
    }

    /// Starts reading an object, or the bytes `range` of it (`GetObject`).
    ///
    /// Returns once the response head has arrived; the body streams from the connection as
    /// it is iterated (the whole object is never held in memory). Iterate it to the end or
    /// drop it. A missing key throws ``S3Error`` `NoSuchKey` (404); a range past the end,
    /// `InvalidRange` (416). Retries happen only before the response head.
    public func getObject(key: String, range: ClosedRange<Int64>? = nil) async throws -> S3ObjectResponse {
        try check(key: key, .getObject)
        var request = S3Request(operation: .getObject, key: key, method: .GET)
        if let range {
            guard range.lowerBound >= 0 else {
                throw invalidArgument("range must start at 0 or later", .getObject, key: key)
            }
            request.headers.append(SigV4Header("range", "bytes=\(range.lowerBound)-\(range.upperBound)"))
        }
        return try await send(request) { response in
            S3ObjectResponse(status: Int(response.status.code), headers: response.headers, body: S3ObjectBody(response.body))
        }
    }

    /// Deletes an object (`DeleteObject`). Deleting a missing key succeeds, as in S3.
    public func deleteObject(key: String) async throws {
        try check(key: key, .deleteObject)
        let request = S3Request(operation: .deleteObject, key: key, method: .DELETE)
        try await send(request) { response in
            _ = try await response.body.collect(upTo: 1 << 20)
        }
    }
}
