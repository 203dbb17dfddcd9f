import Foundation
import NIOCore
import PostgresNIO

/// `DATE` columns read as dates (binary days since 2000-01-01), never as text, so a
/// server's `DateStyle` (German, SQL/DMY, …) cannot change what a date means.
extension CalendarDay: PostgresDecodable {
    public init<JSONDecoder: PostgresJSONDecoder>(
        from buffer: inout ByteBuffer, type: PostgresDataType, format: PostgresFormat, context: PostgresDecodingContext<JSONDecoder>
    ) throws {
        guard type == .date, format == .binary, buffer.readableBytes == 4, let days = buffer.readInteger(as: Int32.self) else {
            throw PostgresDecodingError.Code.typeMismatch
        }
        self = CalendarDay.postgresEpoch.adding(days: Int(days))
    }

    /// 2000-01-01, day zero of PostgreSQL's binary dates.
    static let postgresEpoch = CalendarDay(year: 2000, month: 1, day: 1)
}

extension CalendarDay {
    /// The day `count` days later (earlier when negative), in the proleptic Gregorian calendar.
    public func adding(days count: Int) -> CalendarDay {
        CalendarDay(julianDay: julianDay + count)
    }

    /// Days since the start of the Julian period (a plain day count for arithmetic).
    var julianDay: Int {
        let a = (14 - month) / 12
        let y = year + 4800 - a
        let m = month + 12 * a - 3
        return day + (153 * m + 2) / 5 + 365 * y + y / 4 - y / 100 + y / 400 - 32045
    }

    init(julianDay: Int) {
        let a = julianDay + 32044
        let b = (4 * a + 3) / 146097
        let c = a - 146097 * b / 4
        let d = (4 * c + 3) / 1461
        let e = c - 1461 * d / 4
        let m = (5 * e + 2) / 153
        self.init(year: 100 * b + d - 4800 + m / 10, month: m + 3 - 12 * (m / 10), day: e - (153 * m + 2) / 5 + 1)
    }
}
