#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A command that cannot do what it was asked for a reason other than the
/// configuration, reported as one line (the exit status is non-zero).
struct CommandError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}

/// Reads a password from standard input (one line, or everything up to EOF).
func readPasswordFromStandardInput() throws -> String {
    let data = FileHandle.standardInput.readDataToEndOfFile()
    guard let text = String(data: data, encoding: .utf8) else { throw CommandError("password on standard input is not UTF-8") }
    return text.trimmingCharacters(in: .newlines)
}

/// Prints a value as indented, key-sorted JSON.
func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

/// A date for tables: `2026-11-29 19:02`, or `-`.
func formatDate(_ date: Date?) -> String {
    guard let date else { return "-" }
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm"
    return formatter.string(from: date)
}

/// Text for a terminal table: control characters (an escape sequence a subscriber put in
/// a token name or client id could hide rows or rewrite the screen) shown as `\u{…}`.
func printable(_ text: String) -> String {
    var result = ""
    for scalar in text.unicodeScalars {
        if scalar.properties.generalCategory == .control {
            result += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
            result.unicodeScalars.append(scalar)
        }
    }
    return result
}

/// Files only their owner may read: they hold credentials.
enum PrivateFile {
    /// Writes `contents` to `path` with mode 0600 (an existing file is truncated and
    /// closed to others first).
    static func write(_ contents: String, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw CommandError("cannot write \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else { throw CommandError("cannot restrict \(path) to its owner: \(String(cString: strerror(errno)))") }
        let bytes = Array(contents.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            guard written > 0 else { throw CommandError("cannot write \(path): \(String(cString: strerror(errno)))") }
            offset += written
        }
    }
}
