import Foundation

/// A calendar date (no time), as subscription periods and usage days are kept.
public struct CalendarDay: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a day; the caller keeps it valid (`BillingCalendar` does).
    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Parses `YYYY-MM-DD`.
    public init?(_ text: String) {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1...12).contains(parts[1]), parts[2] >= 1, parts[2] <= BillingCalendar.daysIn(year: parts[0], month: parts[1]) else { return nil }
        self.init(year: parts[0], month: parts[1], day: parts[2])
    }

    public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

    public static func < (lhs: CalendarDay, rhs: CalendarDay) -> Bool {
        (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
    }
}

/// Calendar arithmetic in the operator's time zone: which day an instant falls on, and
/// months that keep their anchor day (a period anchored on the 31st ends on 28 or 29
/// February, then on 31 March).
public struct BillingCalendar: Sendable {
    public let timeZone: TimeZone
    /// Built once: `day(of:)` runs for every metered chunk.
    private let calendar: Calendar

    /// The zone's name as operators write it (`UTC` rather than Foundation's `GMT`).
    public var zoneName: String {
        timeZone.identifier == "GMT" ? "UTC" : timeZone.identifier
    }

    /// Uses `timeZone` for turning instants into days.
    public init(timeZone: TimeZone) {
        self.timeZone = timeZone
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        self.calendar = calendar
    }

    /// The day `instant` falls on in the operator's time zone.
    public func day(of instant: Date) -> CalendarDay {
        let parts = calendar.dateComponents([.year, .month, .day], from: instant)
        return CalendarDay(year: parts.year!, month: parts.month!, day: parts.day!)
    }

    /// Midnight at the start of `day` in the operator's time zone.
    public func start(of day: CalendarDay) -> Date {
        calendar.date(from: DateComponents(year: day.year, month: day.month, day: day.day))!
    }

    /// `day` moved by `months`, on `anchorDay` clamped to the month's length.
    public func adding(months: Int, to day: CalendarDay, anchorDay: Int) -> CalendarDay {
        let index = day.year * 12 + (day.month - 1) + months
        let year = index >= 0 ? index / 12 : (index - 11) / 12
        let month = index - year * 12 + 1
        return CalendarDay(year: year, month: month, day: min(anchorDay, Self.daysIn(year: year, month: month)))
    }

    /// `day` moved by `count` days.
    public func adding(days count: Int, to day: CalendarDay) -> CalendarDay {
        self.day(of: calendar.date(byAdding: .day, value: count, to: start(of: day))!)
    }

    /// The first day of a month and of the next one, for `YYYY-MM`.
    public static func monthRange(_ text: String) -> (first: CalendarDay, next: CalendarDay)? {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 2, (1...12).contains(parts[1]), (2000...9999).contains(parts[0]) else { return nil }
        let next = parts[1] == 12 ? CalendarDay(year: parts[0] + 1, month: 1, day: 1) : CalendarDay(year: parts[0], month: parts[1] + 1, day: 1)
        return (CalendarDay(year: parts[0], month: parts[1], day: 1), next)
    }

    static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
