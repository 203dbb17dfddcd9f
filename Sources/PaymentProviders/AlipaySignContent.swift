/// Alipay's sign-content rule, shared by requests and notifications.
public enum AlipaySignContent {
    /// Keys left out of a request's sign content.
    public static let requestExclusions: Set<String> = ["sign"]
    /// Keys left out of a notification's sign content.
    public static let notificationExclusions: Set<String> = ["sign", "sign_type"]

    /// Builds the text that is signed: every parameter not in `excluding` and
    /// with a non-empty value, sorted by key in UTF-8 byte order, joined as
    /// `k=v&k=v` with raw (not URL-encoded) values.
    ///
    ///     content(for: ["b": "2", "a": "x y", "c": "", "sign": "…"], excluding: ["sign"])
    ///     // "a=x y&b=2"
    public static func content(for parameters: [String: String], excluding: Set<String>) -> String {
        parameters
            .filter { !excluding.contains($0.key) && !$0.value.isEmpty }
            .sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            .map { "\($0.key)=\($0.value)" }
            .joined(separator: "&")
    }
}
