import Configuration
import Foundation

/// Typed, validated reads from the provider hierarchy (flags > `FERRY_*` environment >
/// config file > defaults). A value that is present but malformed is an error naming
/// the key, never silently replaced by the default.
struct ConfigValues {
    let reader: ConfigReader

    func string(_ key: String, isSecret: Bool = false) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key), isSecret: isSecret)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return nil
        }
        return value
    }

    func string(_ key: String, default defaultValue: String) -> String {
        string(key) ?? defaultValue
    }

    /// A secret given directly (`KEY`) or as a file path (`KEY-file`, as with Docker and
    /// Kubernetes secrets); the file's trailing newline is dropped.
    func secret(_ key: String) throws(ConfigurationError) -> String? {
        if let value = string(key, isSecret: true) { return value }
        guard let path = string("\(key)-file") else { return nil }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("\(key)-file: cannot read \(path)")
        }
        return String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let value: Int
        if let typed = reader.int(forKey: ConfigKey(key)) {
            value = typed
        } else if let text = string(key) {
            guard let parsed = Int(text) else { throw ConfigurationError("\(key): \"\(text)\" is not a whole number") }
            value = parsed
        } else {
            return defaultValue
        }
        guard range.contains(value) else {
            throw ConfigurationError("\(key): \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        if let typed = reader.bool(forKey: ConfigKey(key)) { return typed }
        guard let text = string(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw ConfigurationError("\(key): \"\(text)\" is not true or false")
        }
    }

    /// A list: a JSON array in the file, comma-separated in the environment or flags.
    func list(_ key: String) -> [String]? {
        if let array = reader.stringArray(forKey: ConfigKey(key)) {
            return array.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return string(key).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// A duration such as `30s`, `5m`, `2h`, `1d`, or a bare number of seconds.
    func duration(_ key: String, default defaultValue: Duration) throws(ConfigurationError) -> Duration {
        if let seconds = reader.int(forKey: ConfigKey(key)) {
            guard seconds >= 0 else { throw ConfigurationError("\(key): must not be negative") }
            return .seconds(seconds)
        }
        guard let text = string(key) else { return defaultValue }
        guard let duration = Self.parseDuration(text) else {
            throw ConfigurationError("\(key): \"\(text)\" is not a duration (use e.g. 30s, 5m, 2h, 1d)")
        }
        return duration
    }

    static func parseDuration(_ text: String) -> Duration? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        guard let unit = text.last, let multiplier = units[unit], let count = Int(text.dropLast()), count >= 0 else { return nil }
        return .seconds(count * multiplier)
    }

    /// Parses `50GiB`, `500MB`, `1TiB`, `1024` (bytes). Nil for anything that is not a
    /// finite, non-negative size that fits in 63 bits (`1e30GiB`, `infGiB`, `nanGiB`).
    static func parseByteCount(_ text: String) -> Int64? {
        let units: [(String, Int64)] = [
            ("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10),
            ("TB", 1_000_000_000_000), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000), ("B", 1),
        ]
        for (suffix, multiplier) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if let whole = Int64(number) {
                let (bytes, overflow) = whole.multipliedReportingOverflow(by: multiplier)
                return whole >= 0 && !overflow ? bytes : nil
            }
            guard let value = Double(number), value.isFinite, value >= 0 else { return nil }
            // Double(Int64.max) rounds up to 2^63, so anything below it converts exactly.
            let bytes = value * Double(multiplier)
            return bytes < Double(Int64.max) ? Int64(bytes) : nil
        }
        return Int64(text).flatMap { $0 >= 0 ? $0 : nil }
    }

    func url(_ key: String, default defaultValue: String? = nil) throws(ConfigurationError) -> URL? {
        guard let text = string(key) ?? defaultValue else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigurationError("\(key): \"\(text)\" is not an http(s) URL")
        }
        return url
    }
}
