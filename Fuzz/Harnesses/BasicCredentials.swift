import Foundation
import Gateway

/// `BasicCredentials(header:)`: the user id ends at the first colon byte (RFC 7617)
/// and the secret keeps every later one; credentials built from any user id without
/// a colon and any secret parse back to themselves when both are UTF-8, and to nil
/// otherwise; no input traps.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    if let parsed = BasicCredentials(header: input.text) {
        fuzzCheck(!parsed.username.utf8.contains(UInt8(ascii: ":")), "user id \(fuzzShow(parsed.username)) has a colon")
        let again = BasicCredentials(header: header(Array(parsed.username.utf8), Array(parsed.secret.utf8)))
        fuzzCheck(again == parsed, "\(fuzzShow(parsed)) does not survive re-encoding")
    }
    let fields = input.fields(2)
    let user = fields[0].filter { $0 != UInt8(ascii: ":") }
    let secret = fields[1]
    let parsed = BasicCredentials(header: header(user, secret))
    if let userText = String(validating: user, as: UTF8.self), let secretText = String(validating: secret, as: UTF8.self) {
        fuzzCheck(parsed?.username == userText && parsed?.secret == secretText, "\(fuzzShow(userText)):\(fuzzShow(secretText)) parsed as \(fuzzShow(parsed as Any))")
    } else {
        fuzzCheck(parsed == nil, "non-UTF-8 credentials parsed as \(fuzzShow(parsed as Any))")
    }
    return 0
}

/// `Basic base64(user:secret)`.
private func header(_ user: [UInt8], _ secret: [UInt8]) -> String {
    "Basic " + Data(user + [UInt8(ascii: ":")] + secret).base64EncodedString()
}
