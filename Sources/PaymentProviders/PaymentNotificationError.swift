/// Why a provider notification was refused.
///
/// The description names the provider, the kind and (for malformed input)
/// the offending field, never secrets, keys, signatures or field values, so
/// it is safe to log.
public struct PaymentNotificationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The category of the failure.
    public let kind: Kind
    /// The provider whose notification was refused.
    public let provider: PaymentProvider
    /// The provider's event id when it could be read from an authenticated
    /// notification (always set for ``Kind/unsupportedEvent``).
    public let providerEventID: String?
    /// The provider's event type or status when known (Stripe event `type`,
    /// Alipay `trade_status`); always set for ``Kind/unsupportedEvent``.
    public let eventType: String?

    /// Creates an error.
    public init(_ kind: Kind, provider: PaymentProvider, providerEventID: String? = nil, eventType: String? = nil) {
        self.kind = kind
        self.provider = provider
        self.providerEventID = providerEventID
        self.eventType = eventType
    }

    /// A log-safe explanation.
    public var description: String {
        let name = provider == .alipay ? "Alipay notification" : "Stripe webhook"
        var text = "\(name) refused: \(kind)"
        if let eventType { text += " (type \(eventType))" }
        if let providerEventID { text += " [event \(providerEventID)]" }
        return text
    }
}
