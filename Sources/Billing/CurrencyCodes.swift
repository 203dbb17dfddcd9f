/// ISO 4217 codes of currencies money can be recorded in (billing review B12): the
/// active national and regional currencies, without funds, precious metals and the
/// testing codes (`XTS`, `XXX`). A typo such as `CYN` is refused instead of opening a
/// revenue bucket of its own.
enum CurrencyCodes {
    static let all: Set<String> = [
        "AED", "AFN", "ALL", "AMD", "ANG", "AOA", "ARS", "AUD", "AWG", "AZN", "BAM", "BBD", "BDT", "BGN", "BHD", "BIF",
        "BMD", "BND", "BOB", "BRL", "BSD", "BTN", "BWP", "BYN", "BZD", "CAD", "CDF", "CHF", "CLP", "CNY", "COP", "CRC",
        "CUP", "CVE", "CZK", "DJF", "DKK", "DOP", "DZD", "EGP", "ERN", "ETB", "EUR", "FJD", "FKP", "GBP", "GEL", "GHS",
        "GIP", "GMD", "GNF", "GTQ", "GYD", "HKD", "HNL", "HTG", "HUF", "IDR", "ILS", "INR", "IQD", "IRR", "ISK", "JMD",
        "JOD", "JPY", "KES", "KGS", "KHR", "KMF", "KPW", "KRW", "KWD", "KYD", "KZT", "LAK", "LBP", "LKR", "LRD", "LSL",
        "LYD", "MAD", "MDL", "MGA", "MKD", "MMK", "MNT", "MOP", "MRU", "MUR", "MVR", "MWK", "MXN", "MYR", "MZN", "NAD",
        "NGN", "NIO", "NOK", "NPR", "NZD", "OMR", "PAB", "PEN", "PGK", "PHP", "PKR", "PLN", "PYG", "QAR", "RON", "RSD",
        "RUB", "RWF", "SAR", "SBD", "SCR", "SDG", "SEK", "SGD", "SHP", "SLE", "SOS", "SRD", "SSP", "STN", "SVC", "SYP",
        "SZL", "THB", "TJS", "TMT", "TND", "TOP", "TRY", "TTD", "TWD", "TZS", "UAH", "UGX", "USD", "UYU", "UZS", "VES",
        "VND", "VUV", "WST", "XAF", "XCD", "XCG", "XOF", "XPF", "YER", "ZAR", "ZMW", "ZWG",
    ]
}

extension Money {
    /// Whether `code` is an ISO 4217 currency money can be recorded in (upper case).
    public static func isCurrency(_ code: String) -> Bool {
        CurrencyCodes.all.contains(code)
    }

    /// `code` upper-cased, or a one-line `invalid` error naming it.
    public static func currency(_ code: String) throws(BillingError) -> String {
        let upper = code.uppercased()
        guard isCurrency(upper) else {
            throw .invalid("\"\(code.prefix(12))\" is not an ISO 4217 currency code (such as CNY, USD or EUR)")
        }
        return upper
    }
}
