import AsyncHTTPClient
import Foundation
import S3
import Testing

/// The worked examples of AWS's S3 API reference, with the values it publishes:
/// - "Signature Calculations for the Authorization Header: Transferring Payload in a Single
///   Chunk" (`AmazonS3/latest/API/sig-v4-header-based-auth.html`), examples GET Object
///   (with `Range`), PUT Object, GET Bucket Lifecycle and Get Bucket (List Objects);
/// - "Authenticating Requests: Using Query Parameters" (`sigv4-query-string-auth.html`),
///   the presigned GET of `examplebucket/test.txt`.
/// Credentials `AKIAIOSFODNN7EXAMPLE` / `wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`,
/// region `us-east-1`, time 20130524T000000Z. The expected hashes and signatures below are
/// the documents' own (the canonical-request hashes are the last line of their StringToSign).
@Suite("S3 documentation examples")
struct S3DocumentationExampleTests {
    static let credentials = S3Credentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
    /// 2013-05-24T00:00:00Z.
    static let date = Date(timeIntervalSince1970: 1_369_353_600)
    static let host = SigV4Header("Host", "examplebucket.s3.amazonaws.com")
    let signer = SigV4Signer(credentials: credentials, region: "us-east-1", service: "s3", rules: .s3)

    private func lastLine(_ text: String) -> Substring {
        text.split(separator: "\n").last ?? ""
    }

    @Test("GET Object with Range")
    func getObjectWithRange() {
        let request = SigV4Request(method: "GET", path: "/test.txt", headers: [Self.host, SigV4Header("Range", "bytes=0-9")])
        let signed = signer.signHeaders(request, payloadHash: .emptyBody, at: Self.date)
        #expect(
            signed.canonicalRequest == """
                GET
                /test.txt

                host:examplebucket.s3.amazonaws.com
                range:bytes=0-9
                x-amz-content-sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                x-amz-date:20130524T000000Z

                host;range;x-amz-content-sha256;x-amz-date
                e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
                """
        )
        #expect(
            signed.stringToSign == """
                AWS4-HMAC-SHA256
                20130524T000000Z
                20130524/us-east-1/s3/aws4_request
                7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972
                """
        )
        #expect(signed.signature == "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41")
        #expect(
            signed.authorization
                == "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
        )
    }

    @Test("PUT Object with a signed payload")
    func putObject() {
        let payload = Array("Welcome to Amazon S3.".utf8)
        let hash = SigV4PayloadHash.sha256(of: payload)
        #expect(hash.value == "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072")
        let request = SigV4Request(
            method: "PUT",
            path: "/test$file.text",
            headers: [Self.host, SigV4Header("Date", "Fri, 24 May 2013 00:00:00 GMT"), SigV4Header("x-amz-storage-class", "REDUCED_REDUNDANCY")]
        )
        let signed = signer.signHeaders(request, payloadHash: hash, at: Self.date)
        #expect(signed.canonicalRequest.split(separator: "\n")[1] == "/test%24file.text")
        #expect(lastLine(signed.stringToSign) == "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d")
        #expect(signed.signedHeaders == "date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        #expect(signed.signature == "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd")
    }

    @Test("GET Bucket Lifecycle: a sub-resource without a value")
    func getBucketLifecycle() {
        let request = SigV4Request(method: "GET", path: "/", query: [SigV4QueryItem("lifecycle")], headers: [Self.host])
        let signed = signer.signHeaders(request, payloadHash: .emptyBody, at: Self.date)
        #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == "lifecycle=")
        #expect(lastLine(signed.stringToSign) == "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca")
        #expect(signed.signature == "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543")
    }

    @Test("Get Bucket (List Objects): query parameters sorted")
    func listObjects() {
        let request = SigV4Request(
            method: "GET",
            path: "/",
            query: [SigV4QueryItem("prefix", "J"), SigV4QueryItem("max-keys", "2")],
            headers: [Self.host]
        )
        let signed = signer.signHeaders(request, payloadHash: .emptyBody, at: Self.date)
        #expect(signed.canonicalRequest.split(separator: "\n", omittingEmptySubsequences: false)[2] == "max-keys=2&prefix=J")
        #expect(lastLine(signed.stringToSign) == "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7")
        #expect(signed.signature == "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7")
    }

    static let presignedURL =
        "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        + "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
        + "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
        + "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"

    @Test("presigned GET URL, by the signer")
    func presignWithSigner() throws {
        let request = SigV4Request(method: "GET", path: "/test.txt", headers: [Self.host])
        let presigned = try signer.presign(request, expires: 86_400, at: Self.date)
        #expect(
            presigned.canonicalRequest == """
                GET
                /test.txt
                X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host
                host:examplebucket.s3.amazonaws.com

                host
                UNSIGNED-PAYLOAD
                """
        )
        #expect(lastLine(presigned.stringToSign) == "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04")
        #expect(presigned.signature == "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404")
        #expect("https://examplebucket.s3.amazonaws.com\(presigned.encodedPath)?\(presigned.encodedQuery)" == Self.presignedURL)
    }

    @Test("presigned GET URL, by the client (virtual-hosted addressing)")
    func presignWithClient() throws {
        let configuration = S3Configuration(
            endpoint: URL(string: "https://s3.amazonaws.com")!,
            region: "us-east-1",
            bucket: "examplebucket",
            credentials: Self.credentials,
            usesPathStyle: false
        )
        let client = try S3Client(httpClient: HTTPClient.shared, configuration: configuration, now: { Self.date })
        let url = try client.presignedGetURL(key: "test.txt", expires: .seconds(86_400))
        #expect(url.absoluteString == Self.presignedURL)
    }
}
