import AsyncHTTPClient
import Foundation
import Testing

@testable import S3

/// botocore (`S3SigV4Auth`, `S3SigV4QueryAuth`, fixed clock) signs the same requests as the
/// Swift signer, and the results must agree byte for byte. botocore builds its own URL from
/// the raw key and parameters, so path and query encoding are checked too.
///
/// Runs when `FERRY_S3_ORACLE_PYTHON` names the interpreter of a venv with botocore
/// (`scripts/s3-oracle-venv.sh DIR` prints it); fails without it under `FERRY_INTEGRATION=required`.
@Suite("botocore oracle", .enabled(if: TestEnvironment.oraclePython != nil || TestEnvironment.integrationRequired))
struct BotocoreOracleTests {
    static let timestamp = "20150830T123600Z"
    static let date = Date(timeIntervalSince1970: 1_440_938_160)
    static let accessKey = "AKIDEXAMPLE"
    static let secretKey = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

    struct Example: Sendable {
        var name: String
        var method: String
        var endpoint = "http://127.0.0.1:9000"
        var key: String?
        var params: [[String]] = []
        var headers: [String: String] = [:]
        var body = ""
        var unsigned = false
        var presignExpires: Int? = nil
        var token: String? = nil
    }

    static let examples: [Example] = [
        Example(name: "PutObject, signed payload", method: "PUT", key: "blobs/sha256/ab12cd", body: "hello, ferry"),
        Example(name: "PutObject, unsigned payload", method: "PUT", key: "blobs/a b", body: "x", unsigned: true),
        Example(name: "GetObject with Range", method: "GET", key: "blobs/sha256/ab12cd", headers: ["Range": "bytes=100-199"]),
        Example(name: "HeadObject, unicode key", method: "HEAD", key: "été/ሴ/日本.txt"),
        Example(name: "DeleteObject, + and = in the key", method: "DELETE", key: "c+d=e&f"),
        Example(name: "key with spaces, unicode, +, =, ~ and //", method: "GET", key: "dir name/ünï cøde+plus=eq ~.txt//x"),
        Example(name: "CreateMultipartUpload", method: "POST", key: "blobs/big", params: [["uploads", ""]]),
        Example(
            name: "UploadPart",
            method: "PUT",
            key: "blobs/big",
            params: [["partNumber", "3"], ["uploadId", "2~abc/def+ghi="]],
            body: "part three"
        ),
        Example(
            name: "CompleteMultipartUpload",
            method: "POST",
            key: "blobs/big",
            params: [["uploadId", "2~abc/def+ghi="]],
            headers: ["Content-Type": "application/xml"],
            body: "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>\"e\"</ETag></Part></CompleteMultipartUpload>"
        ),
        Example(name: "AbortMultipartUpload", method: "DELETE", key: "blobs/big", params: [["uploadId", "2~abc/def+ghi="]]),
        Example(
            name: "ListMultipartUploads, markers",
            method: "GET",
            params: [["uploads", ""], ["prefix", "blobs/"], ["key-marker", "a b+c"], ["upload-id-marker", "x/y=="]]
        ),
        Example(
            name: "ListObjectsV2, continuation token",
            method: "GET",
            params: [["list-type", "2"], ["max-keys", "1000"], ["prefix", "x y/"], ["continuation-token", "1/ab+c=="]]
        ),
        Example(name: "default port, session token", method: "GET", endpoint: "http://localhost", key: "k", token: "FQoG//+token=="),
        Example(name: "https endpoint with a port", method: "PUT", endpoint: "https://s3.example.net:8443", key: "k", body: "b"),
        Example(name: "presigned GET", method: "GET", key: "blobs/sha256/ab cd+ef", presignExpires: 3600),
        Example(name: "presigned GET, unicode key, session token", method: "GET", key: "été/x=y", presignExpires: 604_800, token: "tok/en=="),
    ]

    @Test("Swift and botocore agree on every request")
    func agreement() throws {
        guard let python = TestEnvironment.oraclePython else {
            Issue.record("FERRY_INTEGRATION=required, but FERRY_S3_ORACLE_PYTHON is not set: run scripts/s3-oracle-venv.sh DIR and export its output")
            return
        }
        let cases = Self.examples.map { example in
            OracleProcess.Case(
                name: example.name,
                method: example.method,
                endpoint: example.endpoint,
                bucket: "ferry",
                key: example.key,
                params: example.params,
                headers: example.headers,
                body: example.body,
                unsigned: example.unsigned,
                presign_expires: example.presignExpires,
                access_key: Self.accessKey,
                secret_key: Self.secretKey,
                token: example.token,
                timestamp: Self.timestamp
            )
        }
        let answer = try OracleProcess.run(python: python, cases: cases)
        #expect(answer.results.count == Self.examples.count)
        for (example, result) in zip(Self.examples, answer.results) {
            try compare(example, result)
        }
    }

    private func client(for example: Example) throws -> S3Client {
        let configuration = S3Configuration(
            endpoint: URL(string: example.endpoint)!,
            region: "us-east-1",
            bucket: "ferry",
            credentials: S3Credentials(accessKeyID: Self.accessKey, secretAccessKey: Self.secretKey, sessionToken: example.token)
        )
        return try S3Client(httpClient: HTTPClient.shared, configuration: configuration, now: { Self.date })
    }

    private func compare(_ example: Example, _ result: OracleProcess.Result) throws {
        let client = try client(for: example)
        if let expires = example.presignExpires {
            let url = try client.presignedGetURL(key: example.key!, expires: .seconds(expires))
            let oracle = try #require(result.url.flatMap { URLComponents(string: $0) }, "\(example.name): no URL from botocore")
            let ours = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
            #expect(ours.percentEncodedPath == oracle.percentEncodedPath, "\(example.name)")
            #expect(ours.host == oracle.host && ours.port == oracle.port, "\(example.name)")
            let ourItems = Set((ours.percentEncodedQuery ?? "").split(separator: "&").map(String.init))
            let oracleItems = Set((oracle.percentEncodedQuery ?? "").split(separator: "&").map(String.init))
            #expect(ourItems == oracleItems, "\(example.name)")
            #expect(ourItems.contains { $0.hasPrefix("X-Amz-Signature=") }, "\(example.name)")
            return
        }
        var headers = [SigV4Header("host", client.endpoint.authority)]
        for (name, value) in example.headers {
            headers.append(SigV4Header(name, value))
        }
        let request = SigV4Request(
            method: example.method,
            path: client.path(forKey: example.key),
            query: example.params.map { SigV4QueryItem($0[0], $0[1]) },
            headers: headers
        )
        let payload: SigV4PayloadHash = example.unsigned ? .unsigned : .sha256(of: Array(example.body.utf8))
        let signed = client.signer.signHeaders(request, payloadHash: payload, at: Self.date)
        #expect(signed.canonicalRequest == result.canonical_request, "\(example.name)")
        #expect(signed.stringToSign == result.string_to_sign, "\(example.name)")
        #expect(signed.authorization == result.authorization, "\(example.name)")
        #expect(payload.value == result.content_sha256, "\(example.name)")
    }
}
