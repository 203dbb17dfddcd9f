/// A Stripe event's `data` member.
struct StripeEventData<Object: Decodable>: Decodable {
    let object: Object
}
