import HummingbirdURLEncodedForm

/// Hummingbird's `URLEncodedFormDecoder`, which decodes every portal form: a form as
/// a browser encodes it decodes to the values typed, a decoded form re-encoded that
/// way decodes to itself, and no body traps. (Hummingbird's own encoder leaves `+`
/// unescaped, so it is not the printer here; Ferry never encodes forms.)
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = FuzzInput(data, size)
    if let form = try? URLEncodedFormDecoder().decode(PortalFormFields.self, from: input.text) {
        let printed = formURLEncoded(form.fields)
        let again = try? URLEncodedFormDecoder().decode(PortalFormFields.self, from: printed)
        fuzzCheck(again == form, "\(fuzzShow(form)) printed as \(fuzzShow(printed)) does not decode back")
    }
    let values = input.fields(4).map { String(decoding: $0, as: UTF8.self) }
    let built = PortalFormFields(csrf: values[0], username: values[1], password: values[2], reference: values[3])
    let printed = formURLEncoded(built.fields)
    let decoded = try? URLEncodedFormDecoder().decode(PortalFormFields.self, from: printed)
    fuzzCheck(decoded == built, "\(fuzzShow(built)) printed as \(fuzzShow(printed)) does not decode back")
    return 0
}

/// The union of the portal's form fields (sign-in, password, tokens, billing, admin),
/// each an optional string as in `Sources/Portal`.
private struct PortalFormFields: Decodable, Equatable {
    var csrf: String?
    var username: String?
    var password: String?
    var current: String?
    var new: String?
    var confirm: String?
    var revoke: String?
    var name: String?
    var expires: String?
    var status: String?
    var plan: String?
    var months: String?
    var provider: String?
    var amount: String?
    var reference: String?
    var refundReference: String?
    var reason: String?
    var endAccess: String?

    /// The fields that are set, in declaration order.
    var fields: [(name: String, value: String)] {
        Mirror(reflecting: self).children.compactMap { child in
            guard let name = child.label, let value = child.value as? String?, let value else { return nil }
            return (name, value)
        }
    }

    init(csrf: String?, username: String?, password: String?, reference: String?) {
        self.csrf = csrf
        self.username = username
        self.password = password
        self.reference = reference
    }
}
