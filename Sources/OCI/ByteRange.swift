import Foundation

/// A single byte range from an HTTP `Range: bytes=…` header (RFC 9110 §14.1.2).
///
/// Ferry serves exactly one range per response; a header with several ranges is
/// answered with the whole blob, which RFC 9110 allows.
public enum ByteRange: Sendable, Hashable {
    /// `bytes=start-end` (end inclusive) or `bytes=start-` (end nil).
    case from(start: Int64, end: Int64?)
    /// `bytes=-count`: the last `count` bytes.
    case suffix(count: Int64)

    /// Parses a `Range` header. Returns nil for a multi-range request (serve the whole
    /// body); throws `RANGE_INVALID` for anything malformed.
    public static func parse(_ header: String) throws(OCIError) -> ByteRange? {
        let invalid = OCIError(.rangeInvalid, "invalid Range header \(OCIError.quote(header))")
        guard header.utf8.count <= 256, let equals = header.firstIndex(of: "=") else { throw invalid }
        // RFC 9110 §14.2: range units are case-insensitive, and a server ignores units it
        // does not support (answering with the whole body).
        guard header[..<equals].trimmingCharacters(in: .whitespaces).lowercased() == "bytes" else { return nil }
        let spec = header[header.index(after: equals)...]
        if spec.contains(",") { return nil }
        guard let dash = spec.firstIndex(of: "-") else { throw invalid }
        let startText = spec[spec.startIndex..<dash]
        let endText = spec[spec.index(after: dash)...]
        func number(_ text: Substring) throws(OCIError) -> Int64 {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let value = Int64(text)
            else { throw invalid }
            return value
        }
        if startText.isEmpty {
            let count = try number(endText)
            guard count > 0 else { throw invalid }
            return .suffix(count: count)
        }
        let start = try number(startText)
        if endText.isEmpty { return .from(start: start, end: nil) }
        let end = try number(endText)
        guard end >= start else { throw invalid }
        return .from(start: start, end: end)
    }

    /// The inclusive byte span this range selects in a body of `size` bytes, or nil when
    /// it selects nothing (unsatisfiable: answer 416 with `Content-Range: bytes */size`).
    public func resolve(size: Int64) -> ClosedRange<Int64>? {
        guard size > 0 else { return nil }
        switch self {
        case .from(let start, let end):
            guard start >= 0, start < size, (end ?? start) >= start else { return nil }
            return start...min(end ?? (size - 1), size - 1)
        case .suffix(let count):
            guard count > 0 else { return nil }
            return max(0, size - count)...(size - 1)
        }
    }
}
