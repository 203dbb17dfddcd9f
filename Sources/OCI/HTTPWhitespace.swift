extension StringProtocol {
    /// This text without leading and trailing HTTP whitespace (spaces and tabs, RFC 9110
    /// "OWS"). Cheap enough for every request: no copy, no Foundation.
    public func trimmingHTTPWhitespace() -> SubSequence {
        let isWhitespace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        var start = startIndex
        var end = endIndex
        while start < end, isWhitespace(self[start]) { start = index(after: start) }
        while end > start {
            let last = index(before: end)
            guard isWhitespace(self[last]) else { break }
            end = last
        }
        return self[start..<end]
    }
}
