/// A Stripe event's `data.object`, decoded as `Object`.
struct StripeEventPayload<Object: Decodable>: Decodable {
    let data: StripeEventData<Object>
}
