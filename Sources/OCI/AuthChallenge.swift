import Foundation

/// A parsed `WWW-Authenticate` challenge (RFC 9110 §11.6.1), e.g.
/// `Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/nginx:pull"`.
public struct AuthChallenge: Sendable, Equatable {
    /// The scheme, lowercased: `bearer` or `basic`.
    public let scheme: String
    /// Auth parameters with lowercased names.
    public let parameters: [String: String]

    /// Creates a challenge from its parts.
    public init(scheme: String, parameters: [String: String]) {
        self.scheme = scheme.lowercased()
        self.parameters = Dictionary(parameters.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
    }

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Parses the first challenge in a header value. Returns nil when the value is
    /// empty or malformed.
    public static func parse(_ header: String) -> AuthChallenge? {
        guard header.utf8.count <= 8192 else { return nil }
        var scanner = Scanner(Array(header.utf8))
        scanner.skipSpaces()
        guard let scheme = scanner.token(), !scheme.isEmpty else { return nil }
        var parameters: [String: String] = [:]
        while true {
            scanner.skipSpaces()
            guard let name = scanner.token(), !name.isEmpty else { break }
            scanner.skipSpaces()
            guard scanner.consume(UInt8(ascii: "=")) else {
                // A new challenge starts here (e.g. `Bearer …, Basic realm=…`); stop at the first.
                break
            }
            scanner.skipSpaces()
            guard let value = scanner.quotedString() ?? scanner.token() else { return nil }
            parameters[name.lowercased()] = value
            scanner.skipSpaces()
            if !scanner.consume(UInt8(ascii: ",")) { break }
        }
        return AuthChallenge(scheme: scheme, parameters: parameters)
    }

    /// Renders the challenge as a header value, quoting every parameter. Control
    /// characters (which a header cannot carry) are dropped; `"` and `\` are escaped
    /// scalar by scalar, so `parse(headerValue())` gives the same challenge back.
    public func headerValue() -> String {
        let schemeName = scheme == "bearer" ? "Bearer" : (scheme == "basic" ? "Basic" : scheme)
        let order = ["realm", "service", "scope", "error"]
        let names = order.filter { parameters[$0] != nil } + parameters.keys.filter { !order.contains($0) }.sorted()
        let rendered = names.map { name in "\(name)=\(Self.quoted(parameters[name]!))" }
        return rendered.isEmpty ? schemeName : "\(schemeName) \(rendered.joined(separator: ","))"
    }

    /// An RFC 9110 quoted-string of `value`. Works on Unicode scalars, not Characters:
    /// a `"` followed by a combining mark is one Character, which a Character search
    /// for `"` does not find.
    static func quoted(_ value: String) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append("\"")
        for scalar in value.unicodeScalars where scalar.value >= 0x20 && scalar.value != 0x7f {
            if scalar == "\"" || scalar == "\\" { scalars.append("\\") }
            scalars.append(scalar)
        }
        scalars.append("\"")
        return String(scalars)
    }
}

private struct Scanner {
    let bytes: [UInt8]
    var index = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func skipSpaces() {
        while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
    }

    mutating func consume(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    /// RFC 9110 token characters, plus `/` `:` so unquoted values like URLs survive.
    mutating func token() -> String? {
        let start = index
        while index < bytes.count, Self.isTokenByte(bytes[index]) { index += 1 }
        return index > start ? String(decoding: bytes[start..<index], as: UTF8.self) : nil
    }

    mutating func quotedString() -> String? {
        guard consume(UInt8(ascii: "\"")) else { return nil }
        var value: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: "\"") { return String(decoding: value, as: UTF8.self) }
            if byte == UInt8(ascii: "\\"), index < bytes.count {
                value.append(bytes[index])
                index += 1
            } else {
                value.append(byte)
            }
        }
        return nil
    }

    static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return Array("!#$%&'*+-.^_`|~/:".utf8).contains(byte)
        }
    }
}
