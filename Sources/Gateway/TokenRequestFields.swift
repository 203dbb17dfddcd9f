import Foundation
import OCI

/// Reading what a token request sends (untrusted input: pure functions, fuzzed).
public enum TokenRequestFields {
    /// Scopes in a `scope` value (several may be space-separated); malformed ones are skipped.
    public static func scopes(_ value: some StringProtocol) -> [Scope] {
        value.split(separator: " ").compactMap { try? Scope(parsing: String($0)) }
    }

    /// `application/x-www-form-urlencoded` fields.
    public static func formFields(_ body: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let name = parts.first else { continue }
            fields[decode(name)] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
