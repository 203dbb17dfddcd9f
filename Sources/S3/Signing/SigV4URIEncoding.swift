/// The percent-encoding SigV4 uses for paths and query strings.
///
/// Every byte of the UTF-8 form is encoded as `%XX` (upper-case hex) except the RFC 3986
/// unreserved characters `A-Z a-z 0-9 - . _ ~`. In paths, `/` separates segments and is kept.
enum SigV4URIEncoding {
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "_"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    /// Encodes a query name or value, or one path segment.
    static func encode(_ string: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(string.utf8.count)
        for byte in string.utf8 {
            if isUnreserved(byte) {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Encodes a decoded path segment by segment, keeping the `/` separators.
    static func encodePath(_ path: String) -> String {
        path.split(separator: "/", omittingEmptySubsequences: false)
            .map { encode(String($0)) }
            .joined(separator: "/")
    }

    /// Removes `.` and `..` segments and collapses repeated slashes (RFC 3986 §5.2.4 plus
    /// the SigV4 test suite's slash rule). A trailing slash is kept.
    static func normalizePath(_ path: String) -> String {
        var stack: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        for segment in segments {
            switch segment {
            case ".": continue
            case "..": _ = stack.popLast()
            default: stack.append(segment)
            }
        }
        var result = "/" + stack.joined(separator: "/")
        let endsInDirectory = path.hasSuffix("/") || segments.last == "." || segments.last == ".."
        if endsInDirectory, !stack.isEmpty {
            result += "/"
        }
        return result
    }
}
