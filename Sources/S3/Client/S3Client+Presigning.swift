import Foundation

extension S3Client {
    /// A URL that lets anyone `GET` the object (with or without `Range`) until it expires.
    ///
    /// Signed in the query string (`UNSIGNED-PAYLOAD`, signed header `host`) at `now()`.
    /// - Parameter expires: The lifetime, rounded up to whole seconds: 1 s … 7 days.
    /// - Throws: ``S3Error`` ``S3Error/invalidArgument`` for an empty key or a lifetime out of range.
    public func presignedGetURL(key: String, expires: Duration) throws(S3Error) -> URL {
        try check(key: key, .presignGetObject)
        let (seconds, attoseconds) = expires.components
        let wholeSeconds = attoseconds > 0 ? seconds + 1 : seconds
        let path = path(forKey: key)
        let request = SigV4Request(method: "GET", path: path, headers: [SigV4Header("host", endpoint.authority)])
        let presigned: SigV4PresignedRequest
        do {
            presigned = try signer.presign(request, expires: Int(clamping: wholeSeconds), at: now())
        } catch {
            throw invalidArgument(error.description, .presignGetObject, key: key)
        }
        let text = endpoint.url(encodedPath: presigned.encodedPath, encodedQuery: presigned.encodedQuery)
        guard let url = URL(string: text) else {
            throw invalidArgument("cannot form a URL from \(endpoint.authority)", .presignGetObject, key: key)
        }
        return url
    }
}
