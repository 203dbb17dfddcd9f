import Logging

/// Log lines.
///
/// Configuration keys:
/// - `log.level`: trace, debug, info (default), notice, warning, error, critical.
/// - `log.format`: `text` (default) or `json` (one object per line).
public struct LogConfiguration: Sendable {
    public var level: Logger.Level
    public var format: LogFormat

    /// Reads the keys above from the top-level `reader`.
    public init(reader: ConfigValues) throws(ConfigurationError) {
        let log = reader.scoped(to: "log")
        let levelText = log.string("level", default: "info")
        guard let level = Logger.Level(rawValue: levelText) else {
            throw ConfigurationError("log.level: \"\(levelText)\" is not one of trace, debug, info, notice, warning, error, critical")
        }
        self.level = level
        format = try log.choice("format", default: .text)
    }
}

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}
