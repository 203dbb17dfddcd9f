extension PaymentNotificationError {
    /// The category of a refused notification.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// The signature is missing, undecodable, or does not verify with any
        /// configured key or secret. Answer with an error status; never record.
        case badSignature
        /// The signed timestamp is further from `now` than the tolerance
        /// (either direction). Possibly a replay.
        case staleTimestamp
        /// The body or header is not what the protocol prescribes; the reason
        /// names the problem (and field), not its value.
        case malformed(String)
        /// Authentic, well-formed, but not an event this module maps. The
        /// caller may store and acknowledge it (see ``PaymentNotificationError/eventType``).
        case unsupportedEvent
        /// Authentic, but for another Alipay application (`app_id`).
        case wrongApp
        /// Authentic, but for another Alipay seller (`seller_id`).
        case wrongSeller
        /// The caller's own configuration cannot verify anything (e.g. no
        /// webhook secret). Fix the configuration; the notification is not at fault.
        case misconfigured(String)

        /// A short log-safe text.
        public var description: String {
            switch self {
            case .badSignature: "signature does not verify"
            case .staleTimestamp: "timestamp outside the tolerance"
            case .malformed(let reason): "malformed: \(reason)"
            case .unsupportedEvent: "unsupported event"
            case .wrongApp: "notification is for another app_id"
            case .wrongSeller: "notification is for another seller_id"
            case .misconfigured(let reason): "misconfigured: \(reason)"
            }
        }
    }
}
