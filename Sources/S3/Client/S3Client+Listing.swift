import AsyncHTTPClient
import NIOCore

extension S3Client {
    /// Lists one page (up to `maxKeys`, at most 1000) of the objects under `prefix` (`ListObjectsV2`).
    ///
    /// Pass the returned ``S3ObjectListing/nextContinuationToken`` to get the next page.
    public func listObjects(prefix: String = "", continuationToken: String? = nil, maxKeys: Int = 1000) async throws -> S3ObjectListing {
        guard (1...1000).contains(maxKeys) else {
            throw invalidArgument("maxKeys must be 1…1000, got \(maxKeys)", .listObjectsV2, key: nil)
        }
        var query = [SigV4QueryItem("list-type", "2"), SigV4QueryItem("max-keys", String(maxKeys))]
        if !prefix.isEmpty {
            query.append(SigV4QueryItem("prefix", prefix))
        }
        if let continuationToken {
            query.append(SigV4QueryItem("continuation-token", continuationToken))
        }
        let request = S3Request(operation: .listObjectsV2, key: nil, method: .GET, query: query)
        return try await send(request) { response in
            let body = try await collectDocument(response)
            let document = try parseDocument(body, expecting: "ListBucketResult", request, status: response.status)
            let objects = document.children(named: "Contents").compactMap { entry -> S3ObjectSummary? in
                guard let key = entry.text(of: "Key") else { return nil }
                return S3ObjectSummary(
                    key: key,
                    size: entry.text(of: "Size").flatMap { Int64($0) } ?? 0,
                    eTag: entry.text(of: "ETag") ?? "",
                    lastModified: entry.text(of: "LastModified").flatMap(S3Timestamp.parseISO8601)
                )
            }
            let truncated = document.text(of: "IsTruncated") == "true"
            let token = document.text(of: "NextContinuationToken").flatMap { $0.isEmpty ? nil : $0 }
            return S3ObjectListing(objects: objects, nextContinuationToken: truncated ? token : nil)
        }
    }
}
