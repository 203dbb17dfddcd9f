import Billing
import Foundation
import Testing

@Suite struct CalendarAndSubscriptionTests {
    let utc = BillingCalendar(timeZone: TimeZone(identifier: "UTC")!)

    func day(_ text: String) -> CalendarDay { CalendarDay(text)! }

    @Test func monthsKeepTheirAnchorDay() {
        #expect(utc.adding(months: 1, to: day("2026-01-31"), anchorDay: 31) == day("2026-02-28"))
        #expect(utc.adding(months: 1, to: day("2028-01-31"), anchorDay: 31) == day("2028-02-29"))  // leap year
        #expect(utc.adding(months: 1, to: day("2026-02-28"), anchorDay: 31) == day("2026-03-31"))
        #expect(utc.adding(months: 2, to: day("2026-12-30"), anchorDay: 30) == day("2027-02-28"))
        #expect(utc.adding(months: 12, to: day("2024-02-29"), anchorDay: 29) == day("2025-02-28"))
        #expect(utc.adding(months: -1, to: day("2026-03-31"), anchorDay: 31) == day("2026-02-28"))
        #expect(utc.adding(months: -3, to: day("2026-01-15"), anchorDay: 15) == day("2025-10-15"))
        #expect(utc.adding(days: 3, to: day("2026-12-30")) == day("2027-01-02"))
    }

    @Test func daysFollowTheOperatorsTimeZone() {
        let shanghai = BillingCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)
        let losAngeles = BillingCalendar(timeZone: TimeZone(identifier: "America/Los_Angeles")!)
        // 2026-11-30 20:30 UTC
        let instant = Date(timeIntervalSince1970: 1_796_070_600)
        #expect(utc.day(of: instant) == day("2026-11-30"))
        #expect(shanghai.day(of: instant) == day("2026-12-01"))
        #expect(losAngeles.day(of: instant) == day("2026-11-30"))
        #expect(shanghai.start(of: day("2026-12-01")).timeIntervalSince1970 == 1_796_054_400)  // 16:00 UTC the day before
    }

    @Test func monthRanges() {
        #expect(BillingCalendar.monthRange("2026-11")! == (day("2026-11-01"), day("2026-12-01")))
        #expect(BillingCalendar.monthRange("2026-12")! == (day("2026-12-01"), day("2027-01-01")))
        #expect(BillingCalendar.monthRange("2026-13") == nil)
        #expect(BillingCalendar.monthRange("november") == nil)
        #expect(CalendarDay("2026-02-29") == nil)
        #expect(CalendarDay("2028-02-29") != nil)
    }

    @Test func statusMovesFromActiveThroughGraceToExpired() {
        let subscription = Subscription.starting(userID: 1, planID: 1, on: day("2026-11-01"), months: 1, calendar: utc)
        #expect(subscription.periodEnd == day("2026-12-01"))
        #expect(subscription.status(on: day("2026-11-30"), graceDays: 3, calendar: utc) == .active)
        #expect(subscription.status(on: day("2026-12-01"), graceDays: 3, calendar: utc) == .pastDue)
        #expect(subscription.status(on: day("2026-12-03"), graceDays: 3, calendar: utc) == .pastDue)
        #expect(subscription.status(on: day("2026-12-04"), graceDays: 3, calendar: utc) == .expired)
        #expect(subscription.status(on: day("2026-12-01"), graceDays: 0, calendar: utc) == .expired)
        #expect(Subscription.allowsAccess(.pastDue) && !Subscription.allowsAccess(.expired))

        var cancelled = subscription
        cancelled.cancelledAt = Date()
        #expect(cancelled.status(on: day("2026-11-15"), graceDays: 3, calendar: utc) == .cancelled)
        #expect(cancelled.status(on: day("2026-12-01"), graceDays: 3, calendar: utc) == .expired)
    }

    @Test func renewalsExtendFromTheEndOrRestartAfterExpiry() {
        let subscription = Subscription.starting(userID: 1, planID: 1, on: day("2026-01-31"), months: 1, calendar: utc)
        #expect(subscription.periodEnd == day("2026-02-28"))
        let renewed = subscription.renewed(months: 1, on: day("2026-02-20"), graceDays: 3, calendar: utc)
        #expect(renewed.periodEnd == day("2026-03-31"))  // anchored on the 31st again
        let inGrace = subscription.renewed(months: 1, on: day("2026-03-02"), graceDays: 3, calendar: utc)
        #expect(inGrace.periodEnd == day("2026-03-31"))
        let late = subscription.renewed(months: 1, on: day("2026-04-10"), graceDays: 3, calendar: utc)
        #expect(late.periodStart == day("2026-04-10") && late.periodEnd == day("2026-05-10") && late.anchorDay == 10)
    }

    @Test func quotaWindowsAreMonthLongWithinALongerPeriod() {
        let subscription = Subscription.starting(userID: 1, planID: 1, on: day("2026-01-31"), months: 3, calendar: utc)
        #expect(subscription.periodEnd == day("2026-04-30"))
        #expect(subscription.quotaWindowStart(on: day("2026-02-10"), calendar: utc) == day("2026-01-31"))
        #expect(subscription.quotaResetDay(on: day("2026-02-10"), calendar: utc) == day("2026-02-28"))
        #expect(subscription.quotaWindowStart(on: day("2026-03-05"), calendar: utc) == day("2026-02-28"))
        #expect(subscription.quotaWindowStart(on: day("2026-04-01"), calendar: utc) == day("2026-03-31"))
        #expect(subscription.quotaResetDay(on: day("2026-04-01"), calendar: utc) == day("2026-04-30"))
    }

    @Test func amounts() {
        #expect(BillingService.minorUnits("3") == 300)
        #expect(BillingService.minorUnits("3.5") == 350)
        #expect(BillingService.minorUnits("3.05") == 305)
        #expect(BillingService.minorUnits("3.005") == nil)
        #expect(BillingService.minorUnits("-3") == nil)
        #expect(BillingService.minorUnits("abc") == nil)
    }
}
