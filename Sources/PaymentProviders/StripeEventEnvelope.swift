/// The top-level fields of a Stripe event (API `object: "event"`).
struct StripeEventEnvelope: Decodable {
    let id: String
    let object: String?
    let type: String
    let created: Int64
}
