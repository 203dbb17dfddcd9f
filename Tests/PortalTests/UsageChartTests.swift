import Billing
import Testing

@testable import Portal

/// The dashboard chart's geometry, computed without a browser.
@Suite struct UsageChartTests {
    let may = CalendarDay(year: 2026, month: 5, day: 1)

    @Test func scalesPickRoundBinaryUnits() {
        let empty = UsageChart.scale(for: 0)
        #expect(empty == (4 << 20, 1 << 20, 1 << 20, "MiB"))
        #expect(UsageChart.scale(for: 1000) == (1000, 500, 1, "B"))
        let mib = Int64(1 << 20)
        #expect(UsageChart.scale(for: 300 * mib) == (300 * mib, 100 * mib, mib, "MiB"))
        #expect(UsageChart.scale(for: 301 * mib) == (400 * mib, 100 * mib, mib, "MiB"))
        let gib = Int64(1 << 30)
        #expect(UsageChart.scale(for: 3 * gib / 2) == (2 * gib, gib, gib, "GiB"))
    }

    @Test func barsSitOnTheirDaysWithHeightsInProportion() {
        let mib = Int64(1 << 20)
        let chart = UsageChart(first: may, days: 31, traffic: [3: 100 * mib, 10: 300 * mib, 40: 5])
        #expect(chart.bars.map(\.day) == [3, 10], "days outside the month are ignored")
        let (small, big) = (chart.bars[0], chart.bars[1])
        #expect(big.height == UsageChart.bottom - UsageChart.top)
        #expect(abs(small.height * 3 - big.height) < 0.5)
        #expect(big.y + big.height == UsageChart.bottom)
        #expect(small.x < big.x)
        #expect(big.x + big.width <= UsageChart.width - UsageChart.right)
        #expect(small.label == "2026-05-03: 100.0 MiB")
        #expect(chart.gridLines.map(\.label) == ["0 MiB", "100 MiB", "200 MiB", "300 MiB"])
        #expect(chart.dayLabels.map(\.label) == ["1", "5", "10", "15", "20", "25", "30"])
        #expect(chart.summary == "Bytes served per day in 2026-05: 400.0 MiB in total, most on day 10 (300.0 MiB)")
        #expect(!chart.isEmpty)
    }

    @Test func anEmptyMonthSaysSo() {
        let chart = UsageChart(first: may, days: 31, traffic: [:])
        #expect(chart.bars.isEmpty && chart.isEmpty)
        #expect(chart.summary.hasSuffix("nothing yet"))
        let tiny = UsageChart(first: may, days: 30, traffic: [1: 1, 2: 1 << 30])
        #expect(tiny.bars[0].height == 1, "a day with traffic is never invisible")
    }
}
