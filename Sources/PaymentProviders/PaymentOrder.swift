/// An order Ferry asks a provider to collect payment for.
public struct PaymentOrder: Sendable, Hashable {
    /// Ferry's order number: Alipay `out_trade_no`, Stripe `client_reference_id`.
    public let orderNumber: String
    /// The amount to collect.
    public let amount: MoneyAmount
    /// What the buyer sees (Alipay `subject`).
    public let subject: String

    /// Validates and creates an order.
    ///
    /// - `orderNumber`: 1–64 characters of `A–Z a–z 0–9 _` (what Alipay's
    ///   `out_trade_no` allows, and within Stripe's `client_reference_id` rules).
    /// - `amount`: more than zero.
    /// - `subject`: 1–256 characters, no control characters and none of `/ = &`
    ///   (Alipay refuses them in `subject`).
    public init(orderNumber: String, amount: MoneyAmount, subject: String) throws(PaymentRequestError) {
        guard Self.isValidOrderNumber(orderNumber) else {
            throw PaymentRequestError("order number must be 1-64 of [A-Za-z0-9_]")
        }
        guard amount.minorUnits > 0 else { throw PaymentRequestError("amount must be more than zero") }
        guard !subject.isEmpty, subject.count <= 256 else {
            throw PaymentRequestError("subject must be 1-256 characters")
        }
        guard !subject.unicodeScalars.contains(where: { $0.properties.generalCategory == .control || "/=&".unicodeScalars.contains($0) }) else {
            throw PaymentRequestError("subject must not contain control characters or any of / = &")
        }
        self.orderNumber = orderNumber
        self.amount = amount
        self.subject = subject
    }

    /// Whether `text` is a valid order number (1–64 of `[A-Za-z0-9_]`).
    public static func isValidOrderNumber(_ text: String) -> Bool {
        (1...64).contains(text.utf8.count) && text.utf8.allSatisfy { byte in
            (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte)
                || (0x61...0x7A).contains(byte) || byte == UInt8(ascii: "_")
        }
    }
}
