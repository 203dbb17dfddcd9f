import Testing
import PaymentProviders

@Suite("Alipay sign content")
struct AlipaySignContentTests {
    @Test("sorted by key bytes, empty values dropped, raw values")
    func rule() {
        let content = AlipaySignContent.content(
            for: ["b": "2", "a": "x y&z=1", "c": "", "ab": "3", "a_b": "4", "aZ": "5", "sign": "S"],
            excluding: AlipaySignContent.requestExclusions
        )
        #expect(content == "a=x y&z=1&aZ=5&a_b=4&ab=3&b=2")
    }

    @Test("requests keep sign_type; notifications drop sign and sign_type")
    func exclusions() {
        let parameters = ["sign": "S", "sign_type": "RSA2", "app_id": "1", "charset": "utf-8"]
        #expect(AlipaySignContent.content(for: parameters, excluding: AlipaySignContent.requestExclusions)
            == "app_id=1&charset=utf-8&sign_type=RSA2")
        #expect(AlipaySignContent.content(for: parameters, excluding: AlipaySignContent.notificationExclusions)
            == "app_id=1&charset=utf-8")
    }

    @Test("non-ASCII values are signed as UTF-8 text, not escaped")
    func unicode() {
        #expect(AlipaySignContent.content(for: ["subject": "年付 \"Pro\"", "biz": #"{"a":"中"}"#], excluding: [])
            == #"biz={"a":"中"}&subject=年付 "Pro""#)
    }
}
