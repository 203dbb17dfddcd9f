#if canImport(Glibc)
import Glibc
#endif
import Billing
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

/// How the audit log names changes made from the command line.
let cliActor = "ferry-cli"

/// Refuses a month count outside 1-120 with a one-line error naming `--months` (billing review B7).
func checkMonths(_ months: Int) throws {
    guard Subscription.monthsRange.contains(months) else {
        throw CommandError("--months: \(months) is not between \(Subscription.monthsRange.lowerBound) and \(Subscription.monthsRange.upperBound)")
    }
}

/// Reads `--paid-at`: an ISO 8601 time with its offset (`2026-11-30T23:50:00+08:00`),
/// not in the future.
func parsePaidAt(_ text: String?, now: Date = Date()) throws -> Date? {
    guard let text else { return nil }
    let formatter = ISO8601DateFormatter()
    var date = formatter.date(from: text)
    if date == nil {
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        date = formatter.date(from: text)
    }
    guard let date else { throw CommandError("--paid-at: \"\(text.prefix(40))\" is not a time like 2026-11-30T23:50:00+08:00") }
    guard date <= now.addingTimeInterval(300) else { throw CommandError("--paid-at: \(text) is in the future") }
    return date
}

/// A table of text cells, each column as wide as its widest cell.
func printTable(_ rows: [[String]]) {
    guard let header = rows.first else { return }
    let widths = (0..<header.count).map { column in rows.map { $0[column].count }.max() ?? 0 }
    for row in rows {
        print(zip(row, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(separator: "  ").trimmingCharacters(in: .whitespaces))
    }
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
