import Crypto
import Foundation

/// AWS Signature Version 4 (`AWS4-HMAC-SHA256`): header signing and query presigning.
///
/// Pure: no I/O, no clock. Every signing function takes the `Date` to sign at. The service
/// name and the path rules are parameters, so the same code passes the generic AWS test
/// suite (service `service`, ``SigV4Rules/generic``) and signs S3 requests (``SigV4Rules/s3``).
public struct SigV4Signer: Sendable {
    /// The longest lifetime S3 accepts for a presigned URL: 7 days.
    public static let maximumPresignExpiry = 604_800

    /// The algorithm name that starts the string to sign and the `Authorization` value.
    public static let algorithm = "AWS4-HMAC-SHA256"

    /// The credentials to sign with.
    public var credentials: S3Credentials
    /// The region of the credential scope, e.g. `us-east-1`.
    public var region: String
    /// The service of the credential scope: `s3` for S3.
    public var service: String
    /// How paths and payload headers are treated.
    public var rules: SigV4Rules

    /// Creates a signer. Defaults sign for S3.
    public init(credentials: S3Credentials, region: String, service: String = "s3", rules: SigV4Rules = .s3) {
        self.credentials = credentials
        self.region = region
        self.service = service
        self.rules = rules
    }

    // MARK: - Header signing

    /// Signs `request` with an `Authorization` header, as of `date`.
    ///
    /// Adds (replacing any present) `x-amz-date`, and under S3 rules `x-amz-content-sha256`,
    /// plus `x-amz-security-token` when the credentials carry a session token; all are signed,
    /// as is every header of `request`.
    public func signHeaders(_ request: SigV4Request, payloadHash: SigV4PayloadHash, at date: Date) -> SigV4SignedRequest {
        let amzDate = AmzDate(date)
        var headers = request.headers.filter { header in
            let name = header.name.lowercased()
            return name != "authorization" && name != "x-amz-date"
                && !(rules.signsContentSHA256Header && name == "x-amz-content-sha256")
                && !(credentials.sessionToken != nil && name == "x-amz-security-token")
        }
        headers.append(SigV4Header("x-amz-date", amzDate.timestamp))
        if rules.signsContentSHA256Header {
            headers.append(SigV4Header("x-amz-content-sha256", payloadHash.value))
        }
        if let token = credentials.sessionToken {
            headers.append(SigV4Header("x-amz-security-token", token))
        }
        let canonicalHeaders = Self.canonicalHeaders(headers)
        let canonicalRequest = canonicalRequest(
            method: request.method,
            path: request.path,
            query: request.query,
            canonicalHeaders: canonicalHeaders,
            payloadHash: payloadHash.value
        )
        let stringToSign = stringToSign(canonicalRequest: canonicalRequest, date: amzDate)
        let signature = signature(of: stringToSign, day: amzDate.day)
        let authorization = "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(day: amzDate.day)), SignedHeaders=\(canonicalHeaders.signedHeaders), Signature=\(signature)"
        headers.append(SigV4Header("authorization", authorization))
        return SigV4SignedRequest(
            headers: headers,
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signedHeaders: canonicalHeaders.signedHeaders,
            signature: signature,
            authorization: authorization
        )
    }

    // MARK: - Query presigning

    /// Presigns `request` in its query string, valid for `expires` seconds from `date`.
    ///
    /// The payload is `UNSIGNED-PAYLOAD`; the signed headers are those of `request` (at least
    /// `host`). Adds `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`, `X-Amz-Expires`,
    /// `X-Amz-SignedHeaders` (and `X-Amz-Security-Token` with a session token) to the signed
    /// query, then `X-Amz-Signature`.
    /// - Throws: ``SigV4Error/invalidExpiry(seconds:)`` unless 1 ≤ `expires` ≤ 604800.
    public func presign(_ request: SigV4Request, expires: Int, at date: Date) throws(SigV4Error) -> SigV4PresignedRequest {
        guard expires >= 1, expires <= Self.maximumPresignExpiry else {
            throw .invalidExpiry(seconds: expires)
        }
        let amzDate = AmzDate(date)
        let canonicalHeaders = Self.canonicalHeaders(request.headers)
        var query = request.query
        query.append(SigV4QueryItem("X-Amz-Algorithm", Self.algorithm))
        query.append(SigV4QueryItem("X-Amz-Credential", "\(credentials.accessKeyID)/\(scope(day: amzDate.day))"))
        query.append(SigV4QueryItem("X-Amz-Date", amzDate.timestamp))
        query.append(SigV4QueryItem("X-Amz-Expires", String(expires)))
        query.append(SigV4QueryItem("X-Amz-SignedHeaders", canonicalHeaders.signedHeaders))
        if let token = credentials.sessionToken {
            query.append(SigV4QueryItem("X-Amz-Security-Token", token))
        }
        let canonicalRequest = canonicalRequest(
            method: request.method,
            path: request.path,
            query: query,
            canonicalHeaders: canonicalHeaders,
            payloadHash: SigV4PayloadHash.unsigned.value
        )
        let stringToSign = stringToSign(canonicalRequest: canonicalRequest, date: amzDate)
        let signature = signature(of: stringToSign, day: amzDate.day)
        return SigV4PresignedRequest(
            encodedQuery: encodedQuery(query) + "&X-Amz-Signature=" + signature,
            encodedPath: encodedPath(request.path),
            canonicalRequest: canonicalRequest,
            stringToSign: stringToSign,
            signature: signature
        )
    }

    // MARK: - Building blocks

    /// The canonical URI: the path (normalised under generic rules) with each segment
    /// percent-encoded once. Use the same string on the wire.
    public func encodedPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : "/" + path
        let prepared = rules.normalizesPath ? SigV4URIEncoding.normalizePath(absolute) : absolute
        return SigV4URIEncoding.encodePath(prepared)
    }

    /// The canonical query string: names and values RFC 3986-encoded, sorted by name then
    /// value, joined with `&`. Use the same string on the wire.
    public func encodedQuery(_ query: [SigV4QueryItem]) -> String {
        let encoded: [(name: String, value: String)] = query.map { item in
            (SigV4URIEncoding.encode(item.name), SigV4URIEncoding.encode(item.value))
        }
        let sorted = encoded.sorted { lhs, rhs in
            lhs.name == rhs.name ? lhs.value < rhs.value : lhs.name < rhs.name
        }
        return sorted.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// The canonical request for `request` with the given payload hash (headers as given).
    public func canonicalRequest(for request: SigV4Request, payloadHash: SigV4PayloadHash) -> String {
        canonicalRequest(
            method: request.method,
            path: request.path,
            query: request.query,
            canonicalHeaders: Self.canonicalHeaders(request.headers),
            payloadHash: payloadHash.value
        )
    }

    /// The string to sign for a canonical request at `date`.
    public func stringToSign(canonicalRequest: String, date: Date) -> String {
        stringToSign(canonicalRequest: canonicalRequest, date: AmzDate(date))
    }

    /// The hex HMAC-SHA256 of `stringToSign` under the signing key of `date`'s day.
    public func signature(of stringToSign: String, date: Date) -> String {
        signature(of: stringToSign, day: AmzDate(date).day)
    }

    /// The credential scope of `date`: `yyyyMMdd/region/service/aws4_request`.
    public func scope(for date: Date) -> String {
        scope(day: AmzDate(date).day)
    }

    // MARK: - Internals

    private func scope(day: String) -> String {
        "\(day)/\(region)/\(service)/aws4_request"
    }

    private func canonicalRequest(
        method: String,
        path: String,
        query: [SigV4QueryItem],
        canonicalHeaders: CanonicalHeaders,
        payloadHash: String
    ) -> String {
        [
            method.uppercased(),
            encodedPath(path),
            encodedQuery(query),
            canonicalHeaders.block,
            canonicalHeaders.signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
    }

    private func stringToSign(canonicalRequest: String, date: AmzDate) -> String {
        let hash = HexEncoding.lowercase(SHA256.hash(data: Array(canonicalRequest.utf8)))
        return [Self.algorithm, date.timestamp, scope(day: date.day), hash].joined(separator: "\n")
    }

    private func signature(of stringToSign: String, day: String) -> String {
        func hmac(_ key: SymmetricKey, _ message: String) -> SymmetricKey {
            SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: key))
        }
        var key = SymmetricKey(data: Array("AWS4\(credentials.secretAccessKey)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = hmac(key, part)
        }
        let mac = HMAC<SHA256>.authenticationCode(for: Array(stringToSign.utf8), using: key)
        return HexEncoding.lowercase(mac)
    }

    /// Canonical header lines (`name:value\n`, sorted) and the signed-header list.
    private struct CanonicalHeaders {
        var block: String
        var signedHeaders: String
    }

    private static func canonicalHeaders(_ headers: [SigV4Header]) -> CanonicalHeaders {
        var names: [String] = []
        var values: [String: [String]] = [:]
        for header in headers {
            let name = header.name.lowercased()
            if values[name] == nil {
                names.append(name)
            }
            values[name, default: []].append(canonicalValue(header.value))
        }
        names.sort()
        let block = names.map { "\($0):\(values[$0]!.joined(separator: ","))\n" }.joined()
        return CanonicalHeaders(block: block, signedHeaders: names.joined(separator: ";"))
    }

    /// Trims the value and collapses runs of whitespace into one space.
    private static func canonicalValue(_ value: String) -> String {
        value.split(whereSeparator: \.isWhitespace)
            .joined(separator: " ")
    }
}
