import Foundation

/// An operator-configured Stripe Payment Link (`https://buy.stripe.com/…`)
/// that Ferry personalises per order.
public struct StripePaymentLink: Sendable, Hashable {
    /// The link as configured in the Stripe dashboard.
    public let baseURL: URL

    /// Accepts an `https` URL with a host and no fragment whose query (if
    /// any) does not already set `client_reference_id` or `prefilled_email`.
    public init(baseURL: URL) throws(PaymentConfigurationError) {
        guard let components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false),
              components.scheme == "https", components.host?.isEmpty == false, components.fragment == nil
        else { throw PaymentConfigurationError("payment link must be an https URL without fragment") }
        let reserved: Set<String> = ["client_reference_id", "prefilled_email"]
        guard !(components.queryItems ?? []).contains(where: { reserved.contains($0.name) }) else {
            throw PaymentConfigurationError("payment link must not already set client_reference_id or prefilled_email")
        }
        self.baseURL = baseURL
    }

    /// The link for one order: `client_reference_id=<order number>` (and
    /// `prefilled_email` when given) appended to any existing query,
    /// percent-encoded (so `+` in an e-mail address survives).
    public func url(orderNumber: String, prefilledEmail: String? = nil) throws(PaymentRequestError) -> URL {
        guard PaymentOrder.isValidOrderNumber(orderNumber) else {
            throw PaymentRequestError("order number must be 1-64 of [A-Za-z0-9_]")
        }
        var pairs: [(key: String, value: String)] = [("client_reference_id", orderNumber)]
        if let prefilledEmail {
            guard (3...254).contains(prefilledEmail.utf8.count), prefilledEmail.contains("@"),
                  !prefilledEmail.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 })
            else { throw PaymentRequestError("prefilled e-mail is not an e-mail address") }
            pairs.append(("prefilled_email", prefilledEmail))
        }
        guard var components = URLComponents(url: baseURL, resolvingAgainstBaseURL: false) else {
            throw PaymentRequestError("payment link URL cannot be parsed")
        }
        let added = FormURLEncoding.encode(pairs)
        if let existing = components.percentEncodedQuery, !existing.isEmpty {
            components.percentEncodedQuery = existing + "&" + added
        } else {
            components.percentEncodedQuery = added
        }
        guard let url = components.url else { throw PaymentRequestError("could not form the payment link URL") }
        return url
    }
}
