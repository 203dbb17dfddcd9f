/// One HTTP header of a request to be signed, in the order it is sent.
///
/// A name may appear several times; the signer joins the values with `,` in order.
public struct SigV4Header: Sendable, Hashable {
    /// The header name, in any case.
    public var name: String
    /// The header value as sent (the signer trims and collapses spaces for the canonical form).
    public var value: String

    /// Creates a header.
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}
