import Testing

@testable import S3

@Suite("S3 XML parsing")
struct S3XMLParserTests {
    private func parse(_ text: String) -> S3XMLElement? {
        S3XMLParser.parse(Array(text.utf8))
    }

    @Test("an S3 error document")
    func errorDocument() throws {
        let document = try #require(
            parse(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message>\
                <Key>a &amp; b</Key><RequestId>tx0001</RequestId><HostId>h</HostId></Error>
                """
            )
        )
        #expect(document.name == "Error")
        #expect(document.text(of: "Code") == "NoSuchKey")
        #expect(document.text(of: "Key") == "a & b")
        #expect(document.text(of: "RequestId") == "tx0001")
    }

    @Test("a listing with a namespace, attributes, repeated children and entities")
    func listing() throws {
        let document = try #require(
            parse(
                """
                <?xml version="1.0" encoding="UTF-8"?>
                <ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
                  <Bucket>ferry</Bucket><IsTruncated>true</IsTruncated>
                  <Upload><Key>k&#x20;1</Key><UploadId>u1</UploadId><Initiated>2026-12-04T10:00:00.500Z</Initiated></Upload>
                  <Upload><Key>&lt;k2&gt;&#233;</Key><UploadId>u2</UploadId><Owner/></Upload>
                  <!-- a comment -->
                  <s3:NextKeyMarker>k2</s3:NextKeyMarker>
                </ListMultipartUploadsResult>
                """
            )
        )
        let uploads = document.children(named: "Upload")
        #expect(uploads.map { $0.text(of: "Key") } == ["k 1", "<k2>é"])
        #expect(document.text(of: "NextKeyMarker") == "k2")
        #expect(uploads[1].child("Owner") != nil)
        let initiated = try #require(uploads[0].text(of: "Initiated").flatMap(S3Timestamp.parseISO8601))
        #expect(initiated.timeIntervalSince1970 == 1_796_378_400.5)
    }

    @Test("CDATA is literal")
    func cdata() {
        #expect(parse("<a><![CDATA[x & <y>]]></a>")?.text == "x & <y>")
    }

    @Test("not XML, or not well formed", arguments: ["", "plain text", "<a><b></a>", "<a>", "<a>&bogus;</a>", "<a></a><b></b>"])
    func malformed(_ text: String) {
        #expect(parse(text) == nil)
    }

    @Test("HTTP dates")
    func httpDates() {
        #expect(S3Timestamp.parseHTTPDate("Sun, 30 Aug 2015 12:36:00 GMT")?.timeIntervalSince1970 == 1_440_938_160)
        #expect(S3Timestamp.parseHTTPDate("yesterday") == nil)
    }
}
