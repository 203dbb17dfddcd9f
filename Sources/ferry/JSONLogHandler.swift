import FerryServer
import Foundation
import Logging

/// The log handler for `log.format` and `log.level`: text lines, or one JSON object per
/// line, on standard error.
func makeLogHandler(label: String, _ configuration: LogConfiguration) -> any LogHandler {
    switch configuration.format {
    case .json:
        var handler = JSONLogHandler(label: label)
        handler.logLevel = configuration.level
        return handler
    case .text:
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = configuration.level
        return handler
    }
}

/// Writes one JSON object per log line to standard error (`log.format: json`), for log
/// collectors: `ts`, `level`, `label`, `message` and every metadata key (request id,
/// user, upstream, repository, digest, bytes, status...).
struct JSONLogHandler: LogHandler {
    let label: String
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var fields: [String: String] = [:]
        let merged = metadata.merging(metadataProvider?.get() ?? [:]) { $1 }.merging(event.metadata ?? [:]) { $1 }
        for (key, value) in merged { fields[key] = "\(value)" }
        fields["ts"] = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withInternetDateTime, .withFractionalSeconds])
        fields["level"] = event.level.rawValue
        fields["label"] = label
        fields["message"] = "\(event.message)"
        if let error = event.error { fields["error"] = "\(error)" }
        guard var data = try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys, .withoutEscapingSlashes]) else { return }
        data.append(0x0a)
        FileHandle.standardError.write(data)
    }
}
