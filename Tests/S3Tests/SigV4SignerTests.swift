import Foundation
import S3
import Testing

@Suite("SigV4 signer")
struct SigV4SignerTests {
    let credentials = S3Credentials(accessKeyID: "AKID", secretAccessKey: "very-secret-key")
    let date = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14T22:13:20Z

    var signer: SigV4Signer { SigV4Signer(credentials: credentials, region: "us-east-1") }

    @Test("S3 keys: each segment encoded once, slashes kept, nothing normalised")
    func keyEncoding() {
        #expect(signer.encodedPath("/bucket/a b/c+d=e.txt") == "/bucket/a%20b/c%2Bd%3De.txt")
        #expect(signer.encodedPath("/bucket/été/ሴ") == "/bucket/%C3%A9t%C3%A9/%E1%88%B4")
        #expect(signer.encodedPath("/bucket/x~y_z-1.2") == "/bucket/x~y_z-1.2")
        #expect(signer.encodedPath("/bucket/a//b/./c/../d") == "/bucket/a//b/./c/../d")
        #expect(signer.encodedPath("/bucket/100%") == "/bucket/100%25")
        #expect(signer.encodedPath("/bucket/k?&#") == "/bucket/k%3F%26%23")
    }

    @Test("query: RFC 3986 encoding, sorted by name then value, empty values kept")
    func queryEncoding() {
        let query = [
            SigV4QueryItem("uploadId", "a/b+c=="),
            SigV4QueryItem("partNumber", "2"),
            SigV4QueryItem("uploads"),
            SigV4QueryItem("prefix", "blobs/sha256 x"),
            SigV4QueryItem("a", "2"),
            SigV4QueryItem("a", "1"),
        ]
        #expect(signer.encodedQuery(query) == "a=1&a=2&partNumber=2&prefix=blobs%2Fsha256%20x&uploadId=a%2Fb%2Bc%3D%3D&uploads=")
    }

    @Test("header signing adds x-amz-date and x-amz-content-sha256 and signs them")
    func headerSigning() {
        let request = SigV4Request(method: "GET", path: "/b/k", headers: [SigV4Header("Host", "127.0.0.1:9000")])
        let signed = signer.signHeaders(request, payloadHash: .unsigned, at: date)
        let names = signed.headers.map { $0.name.lowercased() }
        #expect(names.contains("x-amz-date"))
        #expect(signed.headers.contains(SigV4Header("x-amz-content-sha256", "UNSIGNED-PAYLOAD")))
        #expect(signed.headers.contains(SigV4Header("x-amz-date", "20231114T221320Z")))
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date")
        #expect(signed.authorization.hasPrefix("AWS4-HMAC-SHA256 Credential=AKID/20231114/us-east-1/s3/aws4_request, SignedHeaders="))
        #expect(signed.canonicalRequest.hasSuffix("\nUNSIGNED-PAYLOAD"))
        #expect(!signed.authorization.contains("very-secret-key"))
        #expect(!signed.canonicalRequest.contains("very-secret-key"))
    }

    @Test("header signing replaces stale x-amz-date and authorization headers")
    func resigning() {
        let request = SigV4Request(
            method: "GET",
            path: "/b/k",
            headers: [SigV4Header("Host", "h"), SigV4Header("X-Amz-Date", "19990101T000000Z"), SigV4Header("Authorization", "old")]
        )
        let signed = signer.signHeaders(request, payloadHash: .emptyBody, at: date)
        #expect(signed.headers.filter { $0.name.lowercased() == "x-amz-date" }.map(\.value) == ["20231114T221320Z"])
        #expect(signed.headers.filter { $0.name.lowercased() == "authorization" }.count == 1)
    }

    @Test("a session token is sent and signed as x-amz-security-token")
    func sessionToken() throws {
        var withToken = credentials
        withToken.sessionToken = "TOKEN/+="
        let tokenSigner = SigV4Signer(credentials: withToken, region: "us-east-1")
        let request = SigV4Request(method: "GET", path: "/b/k", headers: [SigV4Header("host", "h")])
        let signed = tokenSigner.signHeaders(request, payloadHash: .emptyBody, at: date)
        #expect(signed.signedHeaders == "host;x-amz-content-sha256;x-amz-date;x-amz-security-token")
        #expect(signed.headers.contains(SigV4Header("x-amz-security-token", "TOKEN/+=")))
        let presigned = try tokenSigner.presign(request, expires: 60, at: date)
        #expect(presigned.encodedQuery.contains("X-Amz-Security-Token=TOKEN%2F%2B%3D"))
    }

    @Test("presigning: parameters, order and expiry bounds")
    func presigning() throws {
        let request = SigV4Request(method: "GET", path: "/b/a b", headers: [SigV4Header("host", "127.0.0.1:9000")])
        let presigned = try signer.presign(request, expires: 604_800, at: date)
        #expect(presigned.encodedPath == "/b/a%20b")
        #expect(
            presigned.encodedQuery.hasPrefix(
                "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKID%2F20231114%2Fus-east-1%2Fs3%2Faws4_request"
                    + "&X-Amz-Date=20231114T221320Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature="
            )
        )
        #expect(presigned.canonicalRequest.hasSuffix("\nhost\nUNSIGNED-PAYLOAD"))
        #expect(throws: SigV4Error.invalidExpiry(seconds: 604_801)) { try signer.presign(request, expires: 604_801, at: date) }
        #expect(throws: SigV4Error.invalidExpiry(seconds: 0)) { try signer.presign(request, expires: 0, at: date) }
    }

    @Test("the signature depends on every input")
    func sensitivity() {
        let request = SigV4Request(method: "PUT", path: "/b/k", headers: [SigV4Header("host", "h")])
        let base = signer.signHeaders(request, payloadHash: .emptyBody, at: date).signature
        var other = request
        other.path = "/b/k2"
        #expect(signer.signHeaders(other, payloadHash: .emptyBody, at: date).signature != base)
        #expect(signer.signHeaders(request, payloadHash: .unsigned, at: date).signature != base)
        #expect(signer.signHeaders(request, payloadHash: .emptyBody, at: date.addingTimeInterval(1)).signature != base)
        let otherRegion = SigV4Signer(credentials: credentials, region: "eu-west-1")
        #expect(otherRegion.signHeaders(request, payloadHash: .emptyBody, at: date).signature != base)
    }

    @Test("payload hashes: validation and well-known values")
    func payloadHashes() {
        #expect(SigV4PayloadHash(sha256Hex: String(repeating: "A", count: 64))?.value == String(repeating: "a", count: 64))
        #expect(SigV4PayloadHash(sha256Hex: "abc") == nil)
        #expect(SigV4PayloadHash(sha256Hex: String(repeating: "g", count: 64)) == nil)
        #expect(SigV4PayloadHash.sha256(of: [UInt8]()) == .emptyBody)
        #expect(SigV4PayloadHash.unsigned.value == "UNSIGNED-PAYLOAD")
    }

    @Test("scope days in UTC", arguments: [
        (Date(timeIntervalSince1970: 0), "19700101/us-east-1/s3/aws4_request"),
        (Date(timeIntervalSince1970: 951_782_400), "20000229/us-east-1/s3/aws4_request"),
        (Date(timeIntervalSince1970: 1_440_938_160), "20150830/us-east-1/s3/aws4_request"),
        (Date(timeIntervalSince1970: 4_102_444_799.9), "20991231/us-east-1/s3/aws4_request"),
    ])
    func scopes(date: Date, scope: String) {
        #expect(signer.scope(for: date) == scope)
    }

    @Test("credentials never print their secret")
    func redaction() {
        let credentials = S3Credentials(accessKeyID: "AKID", secretAccessKey: "s3cr3t", sessionToken: "t0k3n")
        #expect(!"\(credentials)".contains("s3cr3t"))
        #expect(!String(reflecting: credentials).contains("s3cr3t"))
        #expect(!"\(credentials)".contains("t0k3n"))
    }
}
