import Configuration
import Foundation

/// Typed, validated reads from the provider hierarchy (flags > `FERRY_*` environment >
/// config file > defaults). A value that is present but malformed is an error naming
/// the key, never silently replaced by the default.
///
/// Each part of the configuration reads its own scope (`values.scoped(to: "cache")`),
/// and messages name the whole key (`cache.max-size: …`).
public struct ConfigValues: Sendable {
    let reader: ConfigReader
    /// The scope's key components (empty at the top).
    let scope: [String]
    /// The dotted keys set in the config file and by flags, and the `FERRY_*` variables
    /// set, for keys named by the operator (`payments.stripe.links.<plan>`).
    let present: PresentKeys

    init(reader: ConfigReader, scope: [String] = [], present: PresentKeys = PresentKeys()) {
        self.reader = reader
        self.scope = scope
        self.present = present
    }

    /// The values under `key` (`cache` → `cache.max-size` is read as `max-size`).
    public func scoped(to key: String) -> ConfigValues {
        ConfigValues(reader: reader.scoped(to: ConfigKey(key)), scope: scope + ConfigKey(key).components, present: present)
    }

    /// The names set under `key` by the operator: `links` in scope `payments.stripe` →
    /// `basic` for `payments.stripe.links.basic` in the file or a flag, or for
    /// `FERRY_PAYMENTS_STRIPE_LINKS_BASIC` (lower-cased; a name with `-` must come from
    /// the file). Sorted, without duplicates.
    public func childKeys(of key: String) -> [String] {
        let prefix = (scope + [key]).joined(separator: ".") + "."
        var names = Set(present.dotted.filter { $0.hasPrefix(prefix) }.map { String($0.dropFirst(prefix.count)) }.filter { !$0.contains(".") })
        let variable = ConfigSources.environmentName(scope + [key]) + "_"
        for name in present.environment where name.hasPrefix(variable) {
            let child = name.dropFirst(variable.count).lowercased()
            if !child.isEmpty, !names.contains(child.replacingOccurrences(of: "_", with: "-")) { names.insert(child) }
        }
        return names.sorted()
    }

    /// The whole dotted name of `key` in this scope, for messages.
    public func name(_ key: String) -> String {
        (scope + [key]).joined(separator: ".")
    }

    /// A string value, trimmed; nil when absent or empty.
    public func string(_ key: String, isSecret: Bool = false) -> String? {
        guard let value = reader.string(forKey: ConfigKey(key), isSecret: isSecret)?.trimmingCharacters(in: .whitespaces), !value.isEmpty else {
            return nil
        }
        return value
    }

    /// A string value, or `defaultValue`.
    public func string(_ key: String, default defaultValue: String) -> String {
        string(key) ?? defaultValue
    }

    /// A secret given directly (`KEY`) or as a file path (`KEY-file`, as with Docker and
    /// Kubernetes secrets); the file's trailing newline is dropped.
    public func secret(_ key: String) throws(ConfigurationError) -> String? {
        let direct = string(key, isSecret: true)
        let path = string("\(key)-file")
        if let direct { return direct }
        guard let path else { return nil }
        guard let contents = FileManager.default.contents(atPath: path) else {
            throw ConfigurationError("\(name("\(key)-file")): cannot read \(path)")
        }
        return String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// A whole number within `range`.
    public func int(_ key: String, default defaultValue: Int, range: ClosedRange<Int>) throws(ConfigurationError) -> Int {
        let value: Int
        if let typed = reader.int(forKey: ConfigKey(key)) {
            value = typed
        } else if let text = string(key) {
            guard let parsed = Int(text) else { throw ConfigurationError("\(name(key)): \"\(text)\" is not a whole number") }
            value = parsed
        } else {
            return defaultValue
        }
        guard range.contains(value) else {
            throw ConfigurationError("\(name(key)): \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// A number within `range` (`0.5`, `2`).
    public func double(_ key: String, default defaultValue: Double, range: ClosedRange<Double>) throws(ConfigurationError) -> Double {
        let value: Double
        if let typed = reader.double(forKey: ConfigKey(key)) {
            value = typed
        } else if let typed = reader.int(forKey: ConfigKey(key)) {
            value = Double(typed)
        } else if let text = string(key) {
            guard let parsed = Double(text), parsed.isFinite else { throw ConfigurationError("\(name(key)): \"\(text)\" is not a number") }
            value = parsed
        } else {
            return defaultValue
        }
        guard range.contains(value) else {
            throw ConfigurationError("\(name(key)): \(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    /// `true`/`yes`/`1`/`on` or `false`/`no`/`0`/`off`.
    public func bool(_ key: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        if let typed = reader.bool(forKey: ConfigKey(key)) { return typed }
        guard let text = string(key) else { return defaultValue }
        switch text.lowercased() {
        case "true", "yes", "1", "on": return true
        case "false", "no", "0", "off": return false
        default: throw ConfigurationError("\(name(key)): \"\(text)\" is not true or false")
        }
    }

    /// A list: a JSON array in the file, comma-separated in the environment or flags.
    public func list(_ key: String) -> [String]? {
        if let array = reader.stringArray(forKey: ConfigKey(key)) {
            return array.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return string(key).map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    /// A duration such as `30s`, `5m`, `2h`, `1d`, or a bare number of seconds, within `range`.
    public func duration(_ key: String, default defaultValue: Duration, range: ClosedRange<Duration>? = nil) throws(ConfigurationError) -> Duration {
        let value: Duration
        if let seconds = reader.int(forKey: ConfigKey(key)) {
            guard seconds >= 0 else { throw ConfigurationError("\(name(key)): must not be negative") }
            value = .seconds(seconds)
        } else if let text = string(key) {
            guard let parsed = Self.parseDuration(text) else {
                throw ConfigurationError("\(name(key)): \"\(text)\" is not a duration (use e.g. 30s, 5m, 2h, 1d)")
            }
            value = parsed
        } else {
            return defaultValue
        }
        if let range, !range.contains(value) {
            throw ConfigurationError("\(name(key)): must be between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))")
        }
        return value
    }

    /// A size such as `50GiB` (see `parseByteCount`); nil when absent.
    public func byteCount(_ key: String) throws(ConfigurationError) -> Int64? {
        guard let text = string(key) else { return nil }
        guard let bytes = Self.parseByteCount(text) else { throw ConfigurationError("\(name(key)): \"\(text)\" is not a size like 1GiB") }
        return bytes
    }

    /// An `http` or `https` URL with a host.
    public func url(_ key: String, default defaultValue: String? = nil) throws(ConfigurationError) -> URL? {
        guard let text = string(key) ?? defaultValue else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ConfigurationError("\(name(key)): \"\(text)\" is not an http(s) URL")
        }
        return url
    }

    /// One of an enumeration's raw values.
    public func choice<T: RawRepresentable & CaseIterable>(_ key: String, default defaultValue: T) throws(ConfigurationError) -> T where T.RawValue == String {
        guard let text = string(key) else { return defaultValue }
        guard let value = T(rawValue: text) else {
            throw ConfigurationError("\(name(key)): \"\(text)\" is not one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }

    /// Parses `30s`, `5m`, `2h`, `1d` or a number of seconds.
    public static func parseDuration(_ text: String) -> Duration? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86400]
        if let seconds = Int(text), seconds >= 0 { return .seconds(seconds) }
        guard let unit = text.last, let multiplier = units[unit], let count = Int(text.dropLast()), count >= 0 else { return nil }
        let (seconds, overflow) = count.multipliedReportingOverflow(by: multiplier)
        return overflow ? nil : .seconds(seconds)
    }

    /// Parses `50GiB`, `500MB`, `1TiB`, `1024` (bytes). Nil for anything that is not a
    /// finite, non-negative size that fits in 63 bits (`1e30GiB`, `infGiB`, `nanGiB`).
    public static func parseByteCount(_ text: String) -> Int64? {
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

    /// `90s` as `1m30s`-free text: whole days, hours, minutes or seconds.
    static func format(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60)] where seconds >= size && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}

/// The keys an operator set, as `ConfigValues.childKeys(of:)` lists them.
struct PresentKeys: Sendable {
    /// Dotted keys from the config file and flags.
    var dotted: [String] = []
    /// `FERRY_*` environment variable names.
    var environment: [String] = []
}
