import Billing

/// The geometry of the dashboard's bar chart of bytes served per day of a month, for
/// the `chart` template to draw as inline SVG. A pure function of the numbers, so it
/// is tested without a browser.
struct UsageChart: Sendable, Equatable {
    /// One day's bar, with the tooltip text.
    struct Bar: Sendable, Equatable {
        let day: Int
        let x: Double
        let y: Double
        let width: Double
        let height: Double
        let label: String
    }

    /// A horizontal grid line with its value.
    struct GridLine: Sendable, Equatable {
        let y: Double
        let label: String
    }

    /// A day number under the axis.
    struct DayLabel: Sendable, Equatable {
        let x: Double
        let label: String
    }

    static let width = 720.0
    static let height = 240.0
    static let left = 72.0
    static let right = 8.0
    static let top = 12.0
    static let bottom = 212.0

    let width = UsageChart.width
    let height = UsageChart.height
    let plotLeft = UsageChart.left
    let plotRight = UsageChart.width - UsageChart.right
    let plotBottom = UsageChart.bottom
    let bars: [Bar]
    let gridLines: [GridLine]
    let dayLabels: [DayLabel]
    /// One sentence for screen readers (the SVG's `aria-label`).
    let summary: String
    let isEmpty: Bool

    /// The chart of `traffic` (bytes per day of the month) for a month of `days` days
    /// starting on `first`.
    init(first: CalendarDay, days: Int, traffic: [Int: Int64]) {
        let maximum = traffic.values.max() ?? 0
        let (top, step, unit, unitName) = Self.scale(for: maximum)
        let slot = (Self.width - Self.left - Self.right) / Double(days)
        let plotHeight = Self.bottom - Self.top
        bars = traffic.keys.sorted().compactMap { day -> Bar? in
            guard (1...days).contains(day), let bytes = traffic[day], bytes > 0 else { return nil }
            let height = max(1, Double(bytes) / Double(top) * plotHeight)
            let date = CalendarDay(year: first.year, month: first.month, day: day)
            return Bar(
                day: day, x: Self.rounded(Self.left + Double(day - 1) * slot + slot * 0.15), y: Self.rounded(Self.bottom - height),
                width: Self.rounded(slot * 0.7), height: Self.rounded(height), label: "\(date): \(UsageReport.bytes(bytes))"
            )
        }
        gridLines = stride(from: Int64(0), through: top, by: Int(step)).map { value in
            GridLine(y: Self.rounded(Self.bottom - Double(value) / Double(top) * plotHeight), label: "\(value / unit) \(unitName)")
        }
        dayLabels = ([1] + stride(from: 5, through: days, by: 5)).map { day in
            DayLabel(x: Self.rounded(Self.left + (Double(day) - 0.5) * slot), label: String(day))
        }
        let total = traffic.values.reduce(0, +)
        isEmpty = total == 0
        if let busiest = traffic.filter({ $0.value == maximum }).keys.min(), total > 0 {
            summary = "Bytes served per day in \(first.description.prefix(7)): \(UsageReport.bytes(total)) in total, most on day \(busiest) (\(UsageReport.bytes(maximum)))"
        } else {
            summary = "Bytes served per day in \(first.description.prefix(7)): nothing yet"
        }
    }

    /// A round top value for the axis, its grid step, and the binary unit the labels
    /// use (the step is a whole number of units: 1, 2 or 5 times a power of ten).
    static func scale(for maximum: Int64) -> (top: Int64, step: Int64, unit: Int64, unitName: String) {
        guard maximum > 0 else { return (4 << 20, 1 << 20, 1 << 20, "MiB") }
        let units: [(Int64, String)] = [(1, "B"), (1 << 10, "KiB"), (1 << 20, "MiB"), (1 << 30, "GiB"), (1 << 40, "TiB")]
        let (unit, name) = units.last { maximum >= $0.0 } ?? units[0]
        let inUnits = max(1, Double(maximum) / Double(unit))
        let rough = inUnits / 4
        var magnitude = 1.0
        while magnitude * 10 <= rough { magnitude *= 10 }
        let step = [1.0, 2.0, 5.0, 10.0].map { $0 * magnitude }.first { $0 >= rough } ?? magnitude * 10
        let steps = max(1, (inUnits / step).rounded(.up))
        let stepBytes = Int64(step) * unit
        return (stepBytes * Int64(steps), stepBytes, unit, name)
    }

    static func rounded(_ value: Double) -> Double {
        (value * 10).rounded() / 10
    }
}
