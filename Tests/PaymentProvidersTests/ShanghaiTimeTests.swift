import Foundation
import Testing
@testable import PaymentProviders

@Suite("Asia/Shanghai wall time")
struct ShanghaiTimeTests {
    @Test("formats in UTC+8")
    func formats() {
        #expect(ShanghaiTime.format(Date(timeIntervalSince1970: 0)) == "1970-01-01 08:00:00")
        #expect(ShanghaiTime.format(Fixtures.now) == "2024-05-01 20:34:56")
        #expect(ShanghaiTime.format(Date(timeIntervalSince1970: 1_709_222_399.9)) == "2024-02-29 23:59:59")
        #expect(ShanghaiTime.format(Date(timeIntervalSince1970: 1_704_038_400)) == "2024-01-01 00:00:00")
    }

    @Test("parses and round-trips, including leap days")
    func parses() throws {
        #expect(ShanghaiTime.parse("2024-05-01 20:34:56") == Fixtures.now)
        let leap = try #require(ShanghaiTime.parse("2024-02-29 23:59:59"))
        #expect(ShanghaiTime.format(leap) == "2024-02-29 23:59:59")
        for seconds in stride(from: Int64(-86_400 * 400), to: 4_102_444_800, by: 7_777_777) {
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(ShanghaiTime.parse(ShanghaiTime.format(date)) == date)
        }
    }

    @Test("refuses other shapes and impossible times", arguments: [
        "2023-02-29 00:00:00", "2024-02-30 00:00:00", "2024-04-31 10:00:00", "2024-13-01 00:00:00",
        "2024-00-10 00:00:00", "2024-01-00 00:00:00", "2024-01-01 24:00:00", "2024-01-01 23:60:00",
        "2024-01-01 23:59:60", "2024-1-01 00:00:00", "2024-01-01T00:00:00", "2024-01-01 00:00:00Z",
        "", "2024/01/01 00:00:00", "2024-01-01 0０:00:00",
    ])
    func refuses(text: String) {
        #expect(ShanghaiTime.parse(text) == nil)
    }
}
