/// The fields of a Stripe Charge that Ferry reads.
struct StripeCharge: Decodable {
    let id: String
    let amount: Int64
    let amountRefunded: Int64
    let currency: String
    let paymentIntent: String?
    let created: Int64
    let metadata: [String: String]?
}
