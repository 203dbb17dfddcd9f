import Billing
import Foundation
import Testing

@Suite struct UsageReportTests {
    static let report = UsageReport(
        month: "2026-11",
        users: [
            UserUsage(username: "alice", plan: "basic", manifestPulls: 120, blobPulls: 340, bytesServed: 10 << 30, hitBytes: 8 << 30,
                      quotaBytes: 50 << 30, peakClientAddresses: 2, maxClientAddresses: 3, due: ["CNY": 300], paid: ["CNY": 300]),
            UserUsage(username: "bob", plan: "team", manifestPulls: 5, blobPulls: 9, bytesServed: 1_572_864, hitBytes: 0,
                      quotaBytes: 500 << 30, peakClientAddresses: 14, maxClientAddresses: 10, due: ["CNY": 1500, "USD": 990], paid: ["CNY": 300, "USD": 990], refunded: ["CNY": 300]),
            UserUsage(username: "carol", plan: nil, manifestPulls: 0, blobPulls: 0, bytesServed: 0, hitBytes: 0,
                      quotaBytes: nil, peakClientAddresses: 0, maxClientAddresses: nil),
            UserUsage(username: "dave", deleted: true, plan: "basic", manifestPulls: 1, blobPulls: 2, bytesServed: 2048, hitBytes: 1024,
                      quotaBytes: nil, peakClientAddresses: 1, maxClientAddresses: nil, paid: ["JPY": 500]),
        ],
        upstreamBytes: 2 << 30
    )

    static func golden(_ name: String) throws -> String {
        let url = try #require(Bundle.module.url(forResource: "Golden/\(name)", withExtension: nil))
        return try String(contentsOf: url, encoding: .utf8)
    }

    @Test(arguments: [(ReportFormat.table, "report.txt"), (.csv, "report.csv"), (.json, "report.json")])
    func rendersLikeTheGoldenFile(format: ReportFormat, file: String) throws {
        let rendered = try Self.report.rendered(as: format)
        if let update = ProcessInfo.processInfo.environment["FERRY_UPDATE_GOLDEN"] {
            try rendered.write(toFile: update + "/" + file, atomically: true, encoding: .utf8)
        }
        #expect(rendered == (try Self.golden(file)))
    }

    @Test func totalsArePerCurrency() {
        let report = Self.report
        #expect(report.bytesServed == (10 << 30) + 1_572_864 + 2048)
        #expect(report.bytesSaved == report.bytesServed - (2 << 30))
        #expect(report.due == ["CNY": 1800, "USD": 990])
        #expect(report.paid == ["CNY": 600, "USD": 990, "JPY": 500])
        #expect(report.refunded == ["CNY": 300])
        #expect(report.revenue == ["CNY": 300, "USD": 990, "JPY": 500])
        #expect(report.users[0].hitRatio == 0.8)
        #expect(report.users[0].quotaUsedPercent == 20)
        #expect(!report.users[0].likelyShared && report.users[1].likelyShared)
        #expect(report.users[3].displayName == "dave (deleted)")
        #expect(UsageReport.bytes(1023) == "1023 B")
        #expect(UsageReport.bytes(1536) == "1.5 KiB")
    }

    @Test func moneyUsesEachCurrencysDecimals() {
        #expect(Money.format(305, "CNY") == "3.05 CNY")
        #expect(Money.format(-305, "USD") == "-3.05 USD")
        #expect(Money.format(500, "JPY") == "500 JPY")
        #expect(Money.format(1250, "KWD") == "1.250 KWD")
        #expect(Money.format(["USD": 990, "CNY": 300, "EUR": 0]) == "3.00 CNY + 9.90 USD")
        #expect(Money.format([:]) == "-")
        #expect(Money.minorUnits("3", currency: "CNY") == 300)
        #expect(Money.minorUnits("3.5", currency: "CNY") == 350)
        #expect(Money.minorUnits("3.05", currency: "CNY") == 305)
        #expect(Money.minorUnits("3.005", currency: "CNY") == nil)
        #expect(Money.minorUnits("500", currency: "JPY") == 500)
        #expect(Money.minorUnits("500.5", currency: "JPY") == nil)
        #expect(Money.minorUnits("1.25", currency: "KWD") == 1250)
        #expect(Money.minorUnits("-3", currency: "CNY") == nil)
        #expect(Money.minorUnits("1e30", currency: "CNY") == nil)
        #expect(Money.minorUnits("99999999999999999", currency: "CNY") == nil)
    }
}
