import Billing
import Foundation
import Testing

@Suite struct UsageReportTests {
    static let report = UsageReport(
        month: "2026-11",
        users: [
            UserUsage(username: "alice", plan: "basic", manifestPulls: 120, blobPulls: 340, bytesServed: 10 << 30, hitBytes: 8 << 30,
                      quotaBytes: 50 << 30, peakClientAddresses: 2, maxClientAddresses: 3, currency: "CNY", dueMinor: 300, paidMinor: 300),
            UserUsage(username: "bob", plan: "pro", manifestPulls: 5, blobPulls: 9, bytesServed: 1_572_864, hitBytes: 0,
                      quotaBytes: 500 << 30, peakClientAddresses: 14, maxClientAddresses: 10, currency: "CNY", dueMinor: 1500, paidMinor: 0),
            UserUsage(username: "carol", plan: nil, manifestPulls: 0, blobPulls: 0, bytesServed: 0, hitBytes: 0,
                      quotaBytes: nil, peakClientAddresses: 0, maxClientAddresses: nil, currency: nil, dueMinor: 0, paidMinor: 0),
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

    @Test func totalsAndFlags() {
        let report = Self.report
        #expect(report.bytesServed == (10 << 30) + 1_572_864)
        #expect(report.bytesSaved == report.bytesServed - (2 << 30))
        #expect(report.revenue == ["CNY": 300])
        #expect(report.users[0].hitRatio == 0.8)
        #expect(report.users[0].quotaUsedPercent == 20)
        #expect(!report.users[0].likelyShared && report.users[1].likelyShared)
        #expect(UsageReport.bytes(1023) == "1023 B")
        #expect(UsageReport.bytes(1536) == "1.5 KiB")
        #expect(UsageReport.money(305, "CNY") == "3.05 CNY")
    }
}
