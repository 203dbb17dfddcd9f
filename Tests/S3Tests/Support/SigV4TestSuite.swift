import Foundation
import S3

/// One vector of AWS's published SigV4 test suite, read from `Fixtures/aws-sig-v4-test-suite`.
struct SigV4TestVector: Sendable, CustomStringConvertible {
    var name: String
    var request: String
    var canonicalRequest: String
    var stringToSign: String
    var authorization: String
    var signedRequest: String

    var description: String { name }

    static let credentials = S3Credentials(accessKeyID: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
    static let sessionToken =
        "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/"
        + "qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38"
        + "xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA=="
    /// 2015-08-30T12:36:00Z.
    static let date = Date(timeIntervalSince1970: 1_440_938_160)

    /// Every vector under the fixture folder (sub-folders `normalize-path` and `post-sts-token` included).
    static func all() throws -> [SigV4TestVector] {
        guard let root = Bundle.module.url(forResource: "Fixtures/aws-sig-v4-test-suite", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        var vectors: [SigV4TestVector] = []
        let enumerator = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)
        while let url = enumerator?.nextObject() as? URL {
            guard url.pathExtension == "req" else { continue }
            let base = url.deletingPathExtension()
            func read(_ ext: String) throws -> String {
                try String(contentsOf: base.appendingPathExtension(ext), encoding: .utf8)
            }
            vectors.append(
                SigV4TestVector(
                    name: base.lastPathComponent,
                    request: try read("req"),
                    canonicalRequest: try read("creq"),
                    stringToSign: try read("sts"),
                    authorization: try read("authz"),
                    signedRequest: try read("sreq")
                )
            )
        }
        return vectors.sorted { $0.name < $1.name }
    }

    /// The `.req` file as a signable request plus its body.
    ///
    /// The request line's target is raw (`/example space/`, `/ሴ`), split at `?` and `&`/`=`.
    /// Header lines are `Name:value`; a line starting with whitespace continues the previous
    /// header (obsolete line folding), and the suite counts it as one more value of it.
    func parsedRequest() -> (request: SigV4Request, body: [UInt8]) {
        let (head, body) = splitHeadAndBody(request)
        var lines = head.components(separatedBy: "\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false)
        let method = String(requestLine.first!)
        let target = requestLine.dropFirst().dropLast().joined(separator: " ")
        let pathAndQuery = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [SigV4QueryItem] = []
        if pathAndQuery.count == 2 {
            for pair in pathAndQuery[1].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append(SigV4QueryItem(String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
            }
        }
        var headers: [SigV4Header] = []
        for line in lines where !line.isEmpty {
            if line.first == " " || line.first == "\t", let last = headers.last {
                headers.append(SigV4Header(last.name, line))
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            headers.append(SigV4Header(String(parts[0]), parts.count > 1 ? String(parts[1]) : ""))
        }
        return (SigV4Request(method: method, path: String(pathAndQuery[0]), query: query, headers: headers), Array(body.utf8))
    }

    /// The `.sreq` the suite expects: the request with headers added after signing, then `Authorization`.
    func expectedSignedRequest(authorization: String, addedAfterSigning: [String]) -> String {
        let (head, body) = splitHeadAndBody(request)
        var text = ([head] + addedAfterSigning + ["Authorization: \(authorization)"]).joined(separator: "\n")
        if request.contains("\n\n") {
            text += "\n\n" + body
        }
        return text
    }

    private func splitHeadAndBody(_ text: String) -> (String, String) {
        guard let range = text.range(of: "\n\n") else { return (text, "") }
        return (String(text[..<range.lowerBound]), String(text[range.upperBound...]))
    }
}
