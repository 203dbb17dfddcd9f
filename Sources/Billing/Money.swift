/// Amounts in minor units of their currency, parsed and printed with the currency's
/// own number of decimals (ISO 4217: JPY has none, KWD three, most currencies two).
public enum Money {
    /// Currencies whose minor unit is not a hundredth.
    static let decimalsByCurrency: [String: Int] = [
        "BIF": 0, "CLP": 0, "DJF": 0, "GNF": 0, "ISK": 0, "JPY": 0, "KMF": 0, "KRW": 0, "PYG": 0, "RWF": 0,
        "UGX": 0, "UYI": 0, "VND": 0, "VUV": 0, "XAF": 0, "XOF": 0, "XPF": 0,
        "BHD": 3, "IQD": 3, "JOD": 3, "KWD": 3, "LYD": 3, "OMR": 3, "TND": 3,
    ]

    /// Decimals of `currency` (2 unless listed).
    public static func decimals(_ currency: String) -> Int {
        decimalsByCurrency[currency.uppercased()] ?? 2
    }

    /// Parses `3`, `3.5`, `3.00` (at most the currency's decimals) into minor units;
    /// nil for anything else, negative or too large.
    public static func minorUnits(_ text: String, currency: String) -> Int64? {
        let decimals = decimals(currency)
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts[0].count <= 12, parts[0].allSatisfy(\.isASCII), let major = Int64(parts[0]), major >= 0 else { return nil }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        guard parts.count == 2 else { return major * scale }
        let fraction = String(parts[1])
        guard (1...max(decimals, 1)).contains(fraction.count), decimals > 0, fraction.allSatisfy({ $0.isASCII && $0.isNumber }), var value = Int64(fraction) else { return nil }
        for _ in fraction.count..<decimals { value *= 10 }
        return major * scale + value
    }

    /// `3.00 CNY`, `500 JPY`, `1.250 KWD`; a negative amount keeps its sign.
    public static func format(_ minor: Int64, _ currency: String) -> String {
        let decimals = decimals(currency)
        guard decimals > 0 else { return "\(minor) \(currency)" }
        var scale: Int64 = 1
        for _ in 0..<decimals { scale *= 10 }
        let magnitude = minor.magnitude
        let fraction = String(magnitude % UInt64(scale))
        return "\(minor < 0 ? "-" : "")\(magnitude / UInt64(scale)).\(String(repeating: "0", count: decimals - fraction.count))\(fraction) \(currency)"
    }

    /// Several currencies' amounts: `3.00 CNY + 9.90 USD`, or `-` when there are none.
    public static func format(_ amounts: [String: Int64]) -> String {
        let shown = amounts.filter { $0.value != 0 }.sorted { $0.key < $1.key }.map { format($0.value, $0.key) }
        return shown.isEmpty ? "-" : shown.joined(separator: " + ")
    }
}
