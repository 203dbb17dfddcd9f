import Foundation
import Testing
import OCI

@Suite struct DigestTests {
    @Test func parsesSHA256() throws {
        let digest = try Digest(parsing: "sha256:\(emptySHA256)")
        #expect(digest.algorithm == .sha256)
        #expect(digest.hex == emptySHA256)
        #expect(digest.description == "sha256:\(emptySHA256)")
    }

    @Test func parsesSHA512() throws {
        let digest = try Digest(parsing: "sha512:\(emptySHA512)")
        #expect(digest.algorithm == .sha512)
        #expect(digest.hex == emptySHA512)
        #expect(digest.description == "sha512:\(emptySHA512)")
    }

    @Test func parsesSubstring() throws {
        let path = "/blobs/sha256:\(emptySHA256)"
        let digest = try Digest(parsing: path.dropFirst("/blobs/".count))
        #expect(digest.hex == emptySHA256)
    }

    @Test func hexLengths() {
        #expect(Digest.Algorithm.sha256.hexLength == 64)
        #expect(Digest.Algorithm.sha512.hexLength == 128)
        #expect(Digest.Algorithm.allCases == [.sha256, .sha512])
    }

    @Test(arguments: [
        "md5:d41d8cd98f00b204e9800998ecf8427e",
        "sha1:da39a3ee5e6b4b0d3255bfef95601890afd80709",
        "sha384:38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b",
        "blake3:\(String(repeating: "a", count: 64))",
        "SHA256:\(emptySHA256)",
        "Sha256:\(emptySHA256)",
        "sha256+b64u:\(emptySHA256)",
        ":\(emptySHA256)",
        "../../etc:\(emptySHA256)",
    ])
    func rejectsUnknownAlgorithms(_ text: String) {
        expectOCIError(.digestInvalid) { () throws(OCIError) in try Digest(parsing: text) }
    }

    @Test(arguments: [
        "sha256:",
        "sha256:\(String(emptySHA256.dropLast()))",
        "sha256:\(emptySHA256)0",
        "sha256:\(emptySHA512)",
        "sha512:\(emptySHA256)",
        "sha512:\(String(emptySHA512.dropLast()))",
    ])
    func rejectsWrongLengths(_ text: String) {
        expectOCIError(.digestInvalid) { () throws(OCIError) in try Digest(parsing: text) }
    }

    @Test(arguments: [
        "sha256:\(emptySHA256.uppercased())",
        "sha256:E\(emptySHA256.dropFirst())",
        "sha512:\(emptySHA512.uppercased())",
        "sha256:g\(emptySHA256.dropFirst())",
        "sha256:\(emptySHA256.dropLast())z",
        "sha256: \(emptySHA256.dropFirst())",
        "sha256:\(emptySHA256.dropLast())\n",
        "sha256:\(emptySHA256.dropLast(3))/..",
        "sha256:\(emptySHA256.dropLast(3))%2F",
        "sha256:\(emptySHA256.dropLast())é",
        "sha256:\(emptySHA256.dropLast()):",
        " sha256:\(emptySHA256)",
        "sha256:\(emptySHA256) ",
    ])
    func rejectsNonLowercaseHex(_ text: String) {
        expectOCIError(.digestInvalid) { () throws(OCIError) in try Digest(parsing: text) }
    }

    @Test(arguments: ["", "sha256", emptySHA256, "sha256\(emptySHA256)"])
    func rejectsMissingColon(_ text: String) {
        expectOCIError(.digestInvalid) { () throws(OCIError) in try Digest(parsing: text) }
    }

    @Test func rejectsHugeInputWithoutEchoingIt() {
        let huge = "sha256:" + String(repeating: "a", count: 100_000)
        let error = expectOCIError(.digestInvalid) { () throws(OCIError) in try Digest(parsing: huge) }
        #expect((error?.message.count ?? .max) < 200)
    }

    @Test func errorMessageQuotesOnlyAPrefixOfTheAlgorithm() {
        let algorithm = String(repeating: "x", count: 100)
        let error = expectOCIError(.digestInvalid) { () throws(OCIError) in try Digest(parsing: "\(algorithm):00") }
        #expect(error?.message.contains(algorithm) == false)
        #expect(error?.message.contains(String(repeating: "x", count: 64) + "…") == true)
    }

    @Test func createsFromBytes() {
        let digest = Digest(algorithm: .sha256, bytes: [0x00, 0x01, 0x7f, 0x80, 0xab, 0xff])
        #expect(digest.algorithm == .sha256)
        #expect(digest.hex == "00017f80abff")
        #expect(digest.description == "sha256:00017f80abff")
    }

    @Test func bytesRoundTripThroughParsing() throws {
        let bytes: [UInt8] = (0..<32).map { UInt8($0 * 8) }
        let digest = Digest(algorithm: .sha256, bytes: bytes)
        #expect(try Digest(parsing: digest.description) == digest)

        let bytes512: [UInt8] = (0..<64).map { UInt8(255 - $0) }
        let digest512 = Digest(algorithm: .sha512, bytes: bytes512)
        #expect(try Digest(parsing: digest512.description) == digest512)
    }

    @Test func equalityAndHashing() throws {
        let a = try Digest(parsing: "sha256:\(emptySHA256)")
        let b = try Digest(parsing: "sha256:\(emptySHA256)")
        let c = try Digest(parsing: "sha256:\(String(repeating: "0", count: 64))")
        #expect(a == b)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
    }

    @Test func ordersByDescription() throws {
        let zero = try Digest(parsing: "sha256:\(String(repeating: "0", count: 64))")
        let f = try Digest(parsing: "sha256:\(String(repeating: "f", count: 64))")
        let sha512 = try Digest(parsing: "sha512:\(String(repeating: "0", count: 128))")
        #expect(zero < f)
        #expect(!(f < zero))
        #expect(f < sha512)
        #expect([sha512, f, zero].sorted() == [zero, f, sha512])
    }

    @Test func encodesAsJSONString() throws {
        let digest = try Digest(parsing: "sha256:\(emptySHA256)")
        let data = try JSONEncoder().encode([digest])
        #expect(String(decoding: data, as: UTF8.self) == "[\"sha256:\(emptySHA256)\"]")
        #expect(try JSONDecoder().decode([Digest].self, from: data) == [digest])
    }

    @Test(arguments: [
        "[\"sha256:\(emptySHA256.uppercased())\"]",
        "[\"md5:d41d8cd98f00b204e9800998ecf8427e\"]",
        "[\"\"]",
        "[42]",
    ])
    func decodingValidates(_ json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode([Digest].self, from: Data(json.utf8)) }
    }

    @Test func decodingThrowsTheOCIError() {
        #expect(throws: OCIError.self) { try JSONDecoder().decode([Digest].self, from: Data("[\"sha256:abc\"]".utf8)) }
    }
}
