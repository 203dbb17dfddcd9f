import Foundation
import HTTPTypes
import Hummingbird
import Testing

@testable import Portal

/// CSRF checks without HTTP: tokens compare exactly (the comparison is written to take
/// constant time, which a unit test cannot show; review W9) and the `Origin` rule.
@Suite struct FormGuardTests {
    let guardian = FormGuard(settings: PortalSettings(publicURL: URL(string: "https://mirror.example.com")!, registries: [], defaultRegistry: "docker.io", mirrorDomain: nil, servesTLS: false))

    func request(origin: String?, host: String = "mirror.example.com") -> Request {
        var fields: HTTPFields = [:]
        if let origin { fields[.origin] = origin }
        let head = HTTPRequest(method: .post, scheme: "http", authority: host, path: "/account/tokens", headerFields: fields)
        return Request(head: head, body: .init(buffer: ByteBuffer()))
    }

    @Test func tokensCompareExactly() {
        #expect(FormGuard.constantTimeEquals("abc", "abc"))
        #expect(!FormGuard.constantTimeEquals("abc", "abd"))
        #expect(!FormGuard.constantTimeEquals("abc", "abcd"))
        #expect(!FormGuard.constantTimeEquals("", "a"))
    }

    @Test func originsMustBeThisSite() {
        #expect(guardian.originAllowed(request(origin: nil), forwardedBase: nil))
        #expect(guardian.originAllowed(request(origin: "https://mirror.example.com"), forwardedBase: nil))
        #expect(guardian.originAllowed(request(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080"), forwardedBase: nil))
        #expect(guardian.originAllowed(request(origin: "https://portal.example.com", host: "10.0.0.5:5000"), forwardedBase: "https://portal.example.com"))
        #expect(!guardian.originAllowed(request(origin: "https://evil.example"), forwardedBase: nil))
        #expect(!guardian.originAllowed(request(origin: "null"), forwardedBase: nil))
        #expect(!guardian.originAllowed(request(origin: "https://mirror.example.com.evil.example"), forwardedBase: nil))
        #expect(throws: PortalError.forgedForm) { try guardian.check(request(origin: nil), submitted: nil, expected: "t", forwardedBase: nil) }
    }
}
