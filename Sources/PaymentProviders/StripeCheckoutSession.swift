/// The fields of a Stripe Checkout Session that Ferry reads.
struct StripeCheckoutSession: Decodable {
    let id: String
    let clientReferenceId: String?
    let paymentIntent: String?
    let amountTotal: Int64?
    let currency: String?
    let paymentStatus: String
}
