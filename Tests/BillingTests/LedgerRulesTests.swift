import Foundation
import Testing

@testable import Billing

/// The ledger's rules without a database: as of which day a payment applies, what ending
/// a subscription does, which currencies are money, and how the month's export is written.
@Suite struct LedgerRulesTests {
    let calendar = BillingCalendar(timeZone: TimeZone(identifier: "Asia/Shanghai")!)

    func day(_ text: String) -> CalendarDay { CalendarDay(text)! }

    @Test func aPaymentAppliesAsOfTheDayItWasMade() {
        let current = Subscription(userID: 1, planID: 1, anchorDay: 1, periodStart: day("2026-11-01"), periodEnd: day("2026-12-01"))
        // Paid on the last day of the period, recorded after grace: continues the period.
        let continued = Subscription.afterPayment(current, userID: 1, planID: 1, months: 1, on: day("2026-11-30"), graceDays: 0, calendar: calendar)
        #expect(continued.subscription?.periodStart == day("2026-11-01") && continued.subscription?.periodEnd == day("2027-01-01"))
        #expect(continued.repriceAfter == nil)
        // Paid after expiry: a new period from the day paid.
        let restarted = Subscription.afterPayment(current, userID: 1, planID: 1, months: 1, on: day("2026-12-05"), graceDays: 3, calendar: calendar)
        #expect(restarted.subscription?.periodStart == day("2026-12-05") && restarted.subscription?.periodEnd == day("2027-01-05"))
        // Another plan: from the next period.
        let switched = Subscription.afterPayment(current, userID: 1, planID: 2, months: 1, on: day("2026-11-20"), graceDays: 3, calendar: calendar)
        #expect(switched.subscription?.planID == 2 && switched.repriceAfter == day("2026-11-20"))
        #expect(Subscription.afterPayment(nil, userID: 1, planID: 1, months: 2, on: day("2026-01-31"), graceDays: 3, calendar: calendar).subscription?.periodEnd == day("2026-03-31"))
    }

    @Test func anEndedSubscriptionHasNoGrace() {
        let current = Subscription(userID: 1, planID: 1, anchorDay: 15, periodStart: day("2026-11-15"), periodEnd: day("2027-02-15"))
        let ended = current.ended(on: day("2026-12-15"), at: Date())
        #expect(ended.periodEnd == day("2026-12-15") && ended.cancelledAt != nil)
        #expect(ended.status(on: day("2026-12-14"), graceDays: 3, calendar: calendar) == .cancelled)
        #expect(ended.status(on: day("2026-12-15"), graceDays: 3, calendar: calendar) == .expired)
        #expect(current.ended(on: day("2027-06-01"), at: Date()).periodEnd == day("2027-02-15"), "an end never extends")
        #expect(current.ended(on: day("2026-01-01"), at: Date()).periodEnd == day("2026-11-15"))
        #expect(Subscription.monthsRange == 1...120)
    }

    @Test func currenciesAreISO4217() throws {
        #expect(try Money.currency("cny") == "CNY")
        #expect(Money.isCurrency("EUR") && Money.isCurrency("JPY") && Money.isCurrency("KWD"))
        for typo in ["CYN", "XXX", "XTS", "US", "USDX", "€"] {
            #expect(throws: BillingError.self) { try Money.currency(typo) }
        }
    }

    @Test func theExportIsSafeCSVWithTimesInTheOperatorsZone() {
        let entries = [
            BookEntry(kind: .payment, at: Date(timeIntervalSince1970: 1_796_083_200), username: "alice", deleted: false, provider: "alipay",
                      reference: "alipay:T1", refundReference: nil, orderNumber: "ferry_1_x", amountMinor: 300, currency: "CNY", recordedBy: "alipay"),
            BookEntry(kind: .refund, at: Date(timeIntervalSince1970: 1_796_086_800), username: "bob", deleted: true, provider: "manual",
                      reference: "=HYPERLINK(\"x\")", refundReference: "r,1", orderNumber: nil, amountMinor: -150, currency: "USD", recordedBy: "ferry-cli"),
        ]
        let lines = BookEntry.csv(entries, timeZone: TimeZone(identifier: "Asia/Shanghai")!).split(separator: "\n").map(String.init)
        #expect(lines[1] == "payment,2026-12-01T08:00:00+08:00,alice,false,alipay,alipay:T1,,ferry_1_x,3.00,CNY,300,alipay")
        #expect(lines[2] == #"refund,2026-12-01T09:00:00+08:00,bob,true,manual,"'=HYPERLINK(""x"")","r,1",,-1.50,USD,-150,ferry-cli"#)
    }
}
