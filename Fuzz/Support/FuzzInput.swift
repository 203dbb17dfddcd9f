/// The bytes libFuzzer hands to `LLVMFuzzerTestOneInput`, with the views harnesses need.
struct FuzzInput {
    /// The raw input.
    let bytes: [UInt8]

    /// Copies the input out of libFuzzer's buffer.
    init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// The input as a string, invalid UTF-8 repaired (as a server builds a header or
    /// path string from bytes).
    var text: String { String(decoding: bytes, as: UTF8.self) }

    /// The input split at NUL bytes into at least `count` fields (missing ones empty),
    /// so one input can drive a constructor with several arguments.
    func fields(_ count: Int) -> [[UInt8]] {
        var fields = bytes.split(separator: 0, maxSplits: count - 1, omittingEmptySubsequences: false).map(Array.init)
        while fields.count < count { fields.append([]) }
        return fields
    }
}
