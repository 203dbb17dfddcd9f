import Testing
@testable import PaymentProviders

@Suite("MoneyAmount and ISO 4217")
struct MoneyAmountTests {
    @Test("parses plain decimals into minor units, keeping the text", arguments: [
        ("10.5", "CNY", Int64(1050), "10.50"),
        ("10.50", "CNY", 1050, "10.50"),
        ("0.01", "CNY", 1, "0.01"),
        ("88", "CNY", 8800, "88.00"),
        ("007.10", "CNY", 710, "7.10"),
        ("0", "USD", 0, "0.00"),
        ("500", "JPY", 500, "500"),
        ("1.234", "KWD", 1234, "1.234"),
        ("1.2", "BHD", 1200, "1.200"),
        ("92233720368547758.07", "CNY", Int64.max, "92233720368547758.07"),
    ])
    func parses(text: String, code: String, minorUnits: Int64, canonical: String) throws {
        let currency = try #require(ISO4217Currency(code: code))
        let amount = try MoneyAmount(parsing: text, currency: currency)
        #expect(amount.minorUnits == minorUnits)
        #expect(amount.text == text)
        #expect(amount.canonicalText == canonical)
    }

    @Test("refuses anything but digits[.digits]", arguments: [
        "", ".5", "5.", "-1", "+1", "1e3", " 1", "1 ", "1,000", "1.2.3", "abc", "NaN", "١٢", "１２", "0x10", "1_000",
    ])
    func refusesNonNumbers(text: String) {
        #expect(throws: MoneyAmountError.notANumber) { try MoneyAmount(parsing: text, currency: .cny) }
    }

    @Test("refuses more decimals than the currency has")
    func refusesExtraDecimals() throws {
        #expect(throws: MoneyAmountError.tooManyDecimals(allowed: 2)) { try MoneyAmount(parsing: "10.123", currency: .cny) }
        #expect(throws: MoneyAmountError.tooManyDecimals(allowed: 2)) { try MoneyAmount(parsing: "0.000", currency: .cny) }
        let jpy = try #require(ISO4217Currency(code: "JPY"))
        #expect(throws: MoneyAmountError.tooManyDecimals(allowed: 0)) { try MoneyAmount(parsing: "1.0", currency: jpy) }
        let kwd = try #require(ISO4217Currency(code: "KWD"))
        #expect(throws: MoneyAmountError.tooManyDecimals(allowed: 3)) { try MoneyAmount(parsing: "1.2345", currency: kwd) }
    }

    @Test("refuses values beyond Int64 minor units")
    func refusesOverflow() {
        #expect(throws: MoneyAmountError.overflow) { try MoneyAmount(parsing: "92233720368547758.08", currency: .cny) }
        #expect(throws: MoneyAmountError.overflow) { try MoneyAmount(parsing: "99999999999999999999999", currency: .cny) }
    }

    @Test("wraps minor units with the currency's exponent")
    func minorUnits() throws {
        #expect(try MoneyAmount(minorUnits: 5, currency: .cny).text == "0.05")
        #expect(try MoneyAmount(minorUnits: 1999, currency: .usd).description == "19.99 USD")
        #expect(try MoneyAmount(minorUnits: 500, currency: #require(ISO4217Currency(code: "jpy"))).text == "500")
        #expect(try MoneyAmount(minorUnits: 1250, currency: #require(ISO4217Currency(code: "KWD"))).text == "1.250")
        #expect(throws: MoneyAmountError.negative) { try MoneyAmount(minorUnits: -1, currency: .usd) }
    }

    @Test("equality is by value and currency, not by text")
    func equality() throws {
        #expect(try MoneyAmount(parsing: "10.5", currency: .cny) == MoneyAmount(parsing: "10.50", currency: .cny))
        #expect(try MoneyAmount(parsing: "10.5", currency: .cny) != MoneyAmount(parsing: "10.5", currency: .usd))
        #expect(Set([try MoneyAmount(parsing: "1", currency: .cny), try MoneyAmount(minorUnits: 100, currency: .cny)]).count == 1)
    }

    @Test("currency table: required codes, case-insensitive, unknown refused")
    func currencies() {
        let expected = ["CNY": 2, "USD": 2, "EUR": 2, "GBP": 2, "JPY": 0, "KRW": 0, "KWD": 3, "BHD": 3, "HKD": 2, "TWD": 2, "SGD": 2]
        for (code, digits) in expected {
            #expect(ISO4217Currency(code: code)?.minorUnitDigits == digits, "\(code)")
            #expect(ISO4217Currency(code: code.lowercased())?.code == code)
        }
        for unknown in ["", "US", "USDT", "XXX", "ISK", "ÜSD", "us d"] {
            #expect(ISO4217Currency(code: unknown) == nil, "\(unknown)")
        }
    }
}
