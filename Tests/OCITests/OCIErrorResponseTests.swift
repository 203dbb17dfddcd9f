import Foundation
import Testing
import OCI

@Suite struct OCIErrorResponseTests {
    // MARK: - Codes and statuses

    @Test(arguments: [
        (OCIErrorCode.unauthorized, "UNAUTHORIZED", 401),
        (.denied, "DENIED", 403),
        (.nameUnknown, "NAME_UNKNOWN", 404),
        (.manifestUnknown, "MANIFEST_UNKNOWN", 404),
        (.blobUnknown, "BLOB_UNKNOWN", 404),
        (.nameInvalid, "NAME_INVALID", 400),
        (.digestInvalid, "DIGEST_INVALID", 400),
        (.manifestInvalid, "MANIFEST_INVALID", 400),
        (.unsupported, "UNSUPPORTED", 405),
        (.tooManyRequests, "TOOMANYREQUESTS", 429),
        (.rangeInvalid, "RANGE_INVALID", 416),
        (.unavailable, "UNAVAILABLE", 503),
    ])
    func codeHasDocumentedWireNameAndStatus(_ code: OCIErrorCode, _ wireName: String, _ status: Int) {
        #expect(code.rawValue == wireName)
        #expect(code.httpStatus == status)
        #expect(OCIErrorCode(rawValue: wireName) == code)
    }

    @Test func everyCodeIsCovered() {
        // If a code is added, the table above must grow with it.
        #expect(OCIErrorCode.allCases.count == 12)
        #expect(Set(OCIErrorCode.allCases.map(\.rawValue)).count == 12)
    }

    @Test(arguments: OCIErrorCode.allCases)
    func everyStatusIsAClientOrServerError(_ code: OCIErrorCode) {
        #expect((400...599).contains(code.httpStatus))
    }

    @Test(arguments: ["unauthorized", "NAME-UNKNOWN", "TOO_MANY_REQUESTS", "", "TAG_INVALID"])
    func unknownWireNamesAreNotCodes(_ text: String) {
        #expect(OCIErrorCode(rawValue: text) == nil)
    }

    // MARK: - JSON document

    @Test func jsonShape() {
        let data = OCIErrorResponse(.manifestUnknown, message: "manifest unknown").jsonData()
        #expect(String(decoding: data, as: UTF8.self) == #"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]}"#)
    }

    @Test func jsonShapeWithDetail() {
        let data = OCIErrorResponse(.denied, message: "no", detail: ["name": "library/nginx", "action": "pull"]).jsonData()
        #expect(String(decoding: data, as: UTF8.self)
            == #"{"errors":[{"code":"DENIED","detail":{"action":"pull","name":"library/nginx"},"message":"no"}]}"#)
    }

    @Test(arguments: OCIErrorCode.allCases)
    func everyCodeSerialisesAsItsWireName(_ code: OCIErrorCode) throws {
        let data = OCIErrorResponse(code, message: "m").jsonData()
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(object.keys.sorted() == ["errors"])
        let errors = try #require(object["errors"] as? [[String: Any]])
        #expect(errors.count == 1)
        #expect(errors[0].keys.sorted() == ["code", "message"])
        #expect(errors[0]["code"] as? String == code.rawValue)
        #expect(errors[0]["message"] as? String == "m")
    }

    @Test func slashesAreNotEscaped() {
        let text = String(decoding: OCIErrorResponse(.nameUnknown, message: "library/nginx").jsonData(), as: UTF8.self)
        #expect(text.contains("library/nginx"))
        #expect(!text.contains(#"\/"#))
    }

    @Test func hostileMessageStaysValidJSON() throws {
        let message = "quote \" backslash \\ newline \n cr \r nul \u{0} tab \t unicode \u{e9}\u{1F433} </script>"
        let data = OCIErrorResponse(.nameInvalid, message: message).jsonData()
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("\n"))
        #expect(!text.contains("\r"))
        let decoded = try JSONDecoder().decode(OCIErrorResponse.self, from: data)
        #expect(decoded.errors.first?.message == message)
    }

    @Test func decodesWhatItEncodes() throws {
        let response = OCIErrorResponse(.blobUnknown, message: "blob unknown to registry", detail: ["digest": "sha256:\(emptySHA256)"])
        #expect(try JSONDecoder().decode(OCIErrorResponse.self, from: response.jsonData()) == response)
    }

    @Test func decodesASpecDocumentWithSeveralErrors() throws {
        let json = #"{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"},{"code":"UNAUTHORIZED","message":"authentication required","detail":{"scope":"repository:a:pull"}}]}"#
        let response = try JSONDecoder().decode(OCIErrorResponse.self, from: Data(json.utf8))
        #expect(response.errors == [
            .init(code: .nameUnknown, message: "repository name not known to registry"),
            .init(code: .unauthorized, message: "authentication required", detail: ["scope": "repository:a:pull"]),
        ])
    }

    @Test func rejectsUnknownCodesWhenDecoding() {
        let json = #"{"errors":[{"code":"SOMETHING_ELSE","message":"x"}]}"#
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OCIErrorResponse.self, from: Data(json.utf8)) }
    }

    @Test func entryInitDefaultsDetailToNil() {
        let entry = OCIErrorResponse.Entry(code: .unsupported, message: "read-only")
        #expect(entry.detail == nil)
        #expect(OCIErrorResponse(.unsupported, message: "read-only").errors == [entry])
    }
}
