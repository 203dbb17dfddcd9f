import Foundation

/// The settings every process must agree on to count billing days the same way (billing
/// review B4): the time zone days and months are counted in, and the grace days after an
/// unpaid period. `ferry serve` stores its own in PostgreSQL at start-up; every other
/// command reads them from there.
public struct BillingSettings: Sendable, Equatable {
    /// The zone billing days and months are counted in.
    public var timeZone: TimeZone
    /// Days of access after a period ends unpaid (0-60).
    public var graceDays: Int

    /// Creates settings.
    public init(timeZone: TimeZone, graceDays: Int) {
        self.timeZone = timeZone
        self.graceDays = graceDays
    }

    /// The calendar of `timeZone`.
    public var calendar: BillingCalendar { BillingCalendar(timeZone: timeZone) }
}
